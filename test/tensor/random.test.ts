import test from 'ava'
import { foldIn, foldInName, keyFromSeed, normal, split, truncatedNormal, uniform } from '../../lib/tensor'

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length
const std = (a: Float32Array) => {
  const m = mean(a)
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length)
}

test('the same key gives the same numbers; another key gives others', t => {
  const k = keyFromSeed(42)
  t.deepEqual(normal(k, [100]).toArray(), normal(k, [100]).toArray())
  t.notDeepEqual(normal(k, [100]).toArray(), normal(keyFromSeed(43), [100]).toArray())
})

test('element i depends only on the key and i, not on the tensor size', t => {
  const k = keyFromSeed(1)
  t.deepEqual(uniform(k, [10]).toArray(), uniform(k, [20]).toArray().slice(0, 10))
})

test('split and foldIn give distinct, reproducible children', t => {
  const k = keyFromSeed(7)
  const [a, b] = split(k)
  t.notDeepEqual(a, b)
  t.deepEqual(split(k), split(k))
  t.notDeepEqual(foldIn(k, 1), foldIn(k, 2))
  t.deepEqual(foldInName(k, 'conv'), foldInName(k, 'conv'))
  t.notDeepEqual(foldInName(k, 'conv'), foldInName(k, 'bn'))
})

test('distributions have the requested moments and ranges', t => {
  const k = keyFromSeed(9)
  const n = normal(k, [20000], 1, 2).data
  t.true(Math.abs(mean(n) - 1) < 0.05, `mean ${mean(n)}`)
  t.true(Math.abs(std(n) - 2) < 0.05, `std ${std(n)}`)
  const u = uniform(k, [20000], -1, 3).data
  t.true(u.every(v => v >= -1 && v < 3))
  t.true(Math.abs(mean(u) - 1) < 0.05)
  const tn = truncatedNormal(k, [20000], 0, 0.5).data
  t.true(tn.every(v => Math.abs(v) <= 1.0000001), 'truncated at two standard deviations')
  t.true(Math.abs(std(tn) - 0.5 * 0.8796) < 0.02, `truncated std ${std(tn)}`)
})

test('a non-integer seed is rejected', t => {
  t.regex(t.throws(() => keyFromSeed(0.5))!.message, /seed must be an integer/)
})
