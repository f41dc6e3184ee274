import test from 'ava'
import { Tensor } from '../../lib/tensor'

test('fromArray keeps shape and values, and copies its input', t => {
  const src = [1, 2, 3, 4, 5, 6]
  const x = Tensor.fromArray([2, 3], src)
  src[0] = 99
  t.deepEqual(x.shape, [2, 3])
  t.deepEqual(x.toArray(), [1, 2, 3, 4, 5, 6])
})

test('fromArray rejects a size mismatch, naming both sizes', t => {
  const e = t.throws(() => Tensor.fromArray([2, 3], [1, 2, 3]))
  t.regex(e!.message, /\[2, 3\] needs 6 values, got 3/)
})

test('shapes must be positive integers', t => {
  t.regex(t.throws(() => Tensor.zeros([2, 0]))!.message, /dimension 1 must be a positive integer, got 0/)
  t.regex(t.throws(() => Tensor.zeros([1.5]))!.message, /dimension 0 must be a positive integer/)
  t.regex(t.throws(() => Tensor.zeros([]))!.message, /non-empty array/)
})

test('fromNested infers the shape and rejects ragged nesting', t => {
  t.deepEqual(Tensor.fromNested([[1, 2], [3, 4], [5, 6]]).shape, [3, 2])
  t.regex(t.throws(() => Tensor.fromNested([[1, 2], [3]]))!.message, /ragged nesting at values\[1\]/)
})

test('tensors are frozen and reshape shares data without changing the original', t => {
  const x = Tensor.ones([2, 2])
  t.throws(() => {
    ;(x as unknown as { shape: number[] }).shape = [4]
  })
  t.throws(() => {
    ;(x.shape as number[]).push(1)
  })
  const y = x.reshape([4])
  t.deepEqual(y.shape, [4])
  t.deepEqual(x.shape, [2, 2])
  t.regex(t.throws(() => x.reshape([3]))!.message, /cannot view \[2, 2\] \(4 values\) as \[3\]/)
})

test('zeros, ones and fill', t => {
  t.deepEqual(Tensor.zeros([3]).toArray(), [0, 0, 0])
  t.deepEqual(Tensor.ones([2]).toArray(), [1, 1])
  t.deepEqual(Tensor.fill([2], 2.5).toArray(), [2.5, 2.5])
})
