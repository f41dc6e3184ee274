import test from 'ava'
import { Tensor } from '../../lib/tensor'
import { Tree, TreeMismatchError, flatten, mapTree, mapTreeAsync, zipTrees, zerosLike } from '../../lib/tree'

const t1 = (v: number) => Tensor.fromArray([1], [v])
const a: Tree = { conv: { weight: t1(1), bias: t1(2) }, fc: { weight: t1(3) } }
const b: Tree = { fc: { weight: t1(30) }, conv: { bias: t1(20), weight: t1(10) } }

test('mapTree aligns leaves by path (not by order) and keeps the first tree\'s structure', t => {
  const sum = mapTree((x: Tensor, y: Tensor) => Tensor.fromArray(x.shape, [x.data[0]! + y.data[0]!]), a, b)
  t.deepEqual(flatten(sum).map(([p, v]) => [p, v.data[0]]), [['conv.weight', 11], ['conv.bias', 22], ['fc.weight', 33]])
  const paths: string[] = []
  mapTree((x: Tensor, path: string) => (paths.push(path), x), a)
  t.deepEqual(paths, ['conv.weight', 'conv.bias', 'fc.weight'])
})

test('a missing, extra or mis-shaped leaf is an error naming its dotted path', async t => {
  t.throws(() => zipTrees(a, { conv: { weight: t1(0) }, fc: { weight: t1(0) } }), { instanceOf: TreeMismatchError, message: /'conv\.bias'.*tree 1 has no such leaf/ })
  t.throws(() => zipTrees(a, { ...b, extra: { x: t1(0) } }), { message: /'extra\.x'/ })
  t.throws(() => zipTrees(a, { ...b, fc: { weight: Tensor.zeros([2]) } }), { message: /'fc\.weight': shape \[2\] in tree 1, \[1\] in tree 0/ })
  await t.throwsAsync(mapTreeAsync(async x => x, a, { conv: b.conv! }), { message: /'fc\.weight'/ })
})

test('zerosLike keeps paths and shapes', t => {
  const z = zerosLike({ w: Tensor.ones([2, 3]) })
  t.deepEqual(flatten(z).map(([p, v]) => [p, v.shape, v.toArray()]), [['w', [2, 3], [0, 0, 0, 0, 0, 0]]])
})
