import test from 'ava'
import { Tensor } from '../../lib/tensor'
import { allFinite, firstNonFinite } from '../../lib/train'

const F32_MAX = 3.4028234663852886e38

test('allFinite: any NaN or infinity anywhere is found; the largest float32 values, many of them, are finite', t => {
  t.true(allFinite(new Float32Array(0)))
  t.true(allFinite(Float32Array.of(1, -2, 0, -0)))
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const at of [0, 5, 1 << 16]) {
      const v = new Float32Array((1 << 16) + 1).fill(0.5)
      v[at] = bad
      t.false(allFinite(v), `${bad} at ${at}`)
    }
  }
  // an infinity and a negative infinity would cancel in a float32 sum; in float64 they give NaN
  t.false(allFinite(Float32Array.of(Infinity, -Infinity)))
  t.true(allFinite(new Float32Array(1 << 20).fill(F32_MAX)), '2^20 × the float32 maximum does not overflow float64')
  t.true(allFinite(Float32Array.from({ length: 1 << 10 }, (_, i) => (i % 2 ? F32_MAX : -F32_MAX))))
})

test('firstNonFinite names the first leaf holding a non-finite value, in network order', t => {
  const tree = { a: Tensor.fromArray([2], [1, 2]), b: { c: Tensor.fromArray([2], [NaN, 0]), d: Tensor.fromArray([1], [Infinity]) } }
  t.is(firstNonFinite(tree), 'b.c')
  t.is(firstNonFinite({ a: Tensor.fromArray([1], [3]) }), undefined)
})
