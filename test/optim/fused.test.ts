import test from 'ava'
import { Tree, flatten } from '../../lib/nn'
import { OptimizerName, OptimizerOptions, optimizerByName, optimizerStep } from '../../lib/optim'
import { setKernelLimit } from '../../lib/ops/internal/split'
import { Tensor, foldIn, keyFromSeed, normal } from '../../lib/tensor'
import { backendFor, testModes } from '../helpers/backends'
import { relativeError } from '../helpers/numeric'

/**
 * The fused optimizer step (one kernel per tensor) against the same preset's chain (five kernels
 * per tensor, then applyUpdates), over three steps: bit for bit on webasm, whose kernels round
 * every intermediate to float32 as the chain's stored outputs are; within 1e-6 elsewhere (gpu.js's
 * cpu mode keeps a kernel's intermediates in float64, a shader compiler may contract them). Shapes: last dimensions not a multiple of 4, a
 * scalar-like leaf, and one big enough to be split across webasm's workers.
 */
const SHAPES: Record<string, number[]> = { 'conv.weight': [3, 3, 2, 5], 'conv.bias': [5], 'scale': [1], 'big.weight': [3, 3, 64, 96] }

const treeOf = (seed: number): Tree => {
  const key = keyFromSeed(seed)
  const leaves = Object.entries(SHAPES).map(([path, shape], i) => [path, normal(foldIn(key, i), shape)] as const)
  return { conv: { weight: leaves[0]![1], bias: leaves[1]![1] }, scale: leaves[2]![1], big: { weight: leaves[3]![1] } }
}

const CASES: [OptimizerName, OptimizerOptions][] = [
  ['rmsproptf', { weightDecay: 4e-5 }],
  ['rmsproptf', { weightDecay: 0.01, weightDecayAll: true, clipGrad: 5 }],
  ['rmsproptf', { momentum: 0, epsilon: 1e-3 }],
  ['rmsprop', { weightDecay: 1e-4, clipGrad: 1e6 }],
  ['sgd', { weightDecay: 1e-4 }],
  ['sgd', { momentum: 0 }],
]

for (const mode of testModes()) {
  for (const [name, o] of CASES) {
    test(`${mode}: the fused ${name} step ${JSON.stringify(o)} gives the chain's parameters and state`, async t => {
      const be = await backendFor(mode)
      const opt = optimizerByName(name, o)
      t.truthy(opt.fused)
      const chainOnly = { ...opt, fused: undefined }
      let fused = { params: treeOf(1), state: opt.init(treeOf(1)) }
      let chained = { params: treeOf(1), state: opt.init(treeOf(1)) }
      for (const [s, lr] of [0.1, 0.05, 0.045].entries()) {
        const grads = treeOf(10 + s)
        fused = await optimizerStep(opt, grads, fused.state, { learningRate: lr, params: fused.params, backend: be })
        chained = await optimizerStep(chainOnly, grads, chained.state, { learningRate: lr, params: chained.params, backend: be })
      }
      const a = flatten({ params: fused.params, state: fused.state })
      const b = new Map(flatten({ params: chained.params, state: chained.state }))
      t.deepEqual(a.map(([p]) => p).sort(), [...b.keys()].sort())
      for (const [path, v] of a) {
        if (mode === 'webasm') t.deepEqual(v.data, b.get(path)!.data, path)
        else t.true(relativeError(v.data, Array.from(b.get(path)!.data)) < 1e-6, path)
      }
    })
  }

  test(`${mode}: a fused step split across several kernel calls gives one call's result`, async t => {
    const be = await backendFor(mode)
    const opt = optimizerByName('rmsproptf', { weightDecay: 4e-5 })
    const params = treeOf(2)
    const grads = treeOf(3)
    const whole = await optimizerStep(opt, grads, opt.init(params), { learningRate: 0.045, params, backend: be })
    const restore = setKernelLimit(4096)
    try {
      const split = await optimizerStep(opt, grads, opt.init(params), { learningRate: 0.045, params, backend: be })
      for (const [path, v] of flatten(split.params)) t.deepEqual(v.data, new Map(flatten(whole.params)).get(path)!.data, path)
      for (const [path, v] of flatten(split.state)) t.deepEqual(v.data, new Map(flatten(whole.state)).get(path)!.data, path)
    } finally {
      restore()
    }
  })
}

test('a fused step names a parameter whose optimizer state is missing', async t => {
  const be = await backendFor('cpu')
  const opt = optimizerByName('rmsproptf')
  const params = treeOf(1)
  const state = opt.init({ conv: { weight: Tensor.zeros(SHAPES['conv.weight']!) } })
  const err = await t.throwsAsync(optimizerStep(opt, treeOf(2), state, { learningRate: 0.1, params, backend: be }))
  t.regex(err!.message, /no rms\.ms for parameter 'conv\.bias'/)
})

test('an optimizer without a plan runs its chain and applies the updates', async t => {
  const be = await backendFor('cpu')
  const opt = { ...optimizerByName('sgd', { momentum: 0 }), fused: undefined }
  const params: Tree = { w: Tensor.fromArray([2], [1, 2]) }
  const r = await optimizerStep(opt, { w: Tensor.fromArray([2], [10, -10]) }, opt.init(params), { learningRate: 0.1, params, backend: be })
  t.deepEqual(Array.from(flatten(r.params)[0]![1].data), [0, 3])
})
