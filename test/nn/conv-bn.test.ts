import test from 'ava'
import { Ctx, Tree, batchNorm, conv2d, convBatchNorm, named, serial } from '../../lib/nn'
import { Tensor, keyFromSeed, normal, uniform } from '../../lib/tensor'
import { createBackendOf } from '../../lib/backend'
import { backendFor, testModes } from '../helpers/backends'
import { relativeError } from '../helpers/numeric'

const CONV = { filters: 12, kernel: [3, 1] as [number, number], stride: 2, padding: 'same' as const }
const BN = { epsilon: 1e-3, relu: true }

/** Parameters and running statistics away from their initial values, so the fold has work to do. */
const trained = (params: Tree): { params: Tree; state: Tree } => {
  const bn = params.bn as Tree
  const c = (bn.bias as Tensor).size
  return {
    params: { conv: params.conv, bn: { weight: uniform(keyFromSeed(3), [c], 0.5, 2), bias: normal(keyFromSeed(4), [c]) } },
    state: { bn: { running_mean: normal(keyFromSeed(5), [c]), running_var: uniform(keyFromSeed(6), [c], 0.2, 3) } },
  }
}

for (const mode of testModes()) {
  test(`${mode}: convBatchNorm folds batch norm into the convolution in inference: one kernel call, the unfolded pair's output and gradients`, async t => {
    const backend = await backendFor(mode)
    const folded = convBatchNorm(CONV, BN)
    const unfolded = serial(named('conv', conv2d(CONV)), named('bn', batchNorm(BN)))
    const init = folded.init(keyFromSeed(1), [2, 9, 7, 8])
    t.deepEqual(init.params, unfolded.init(keyFromSeed(1), [2, 9, 7, 8]).params, 'the same parameter tree (timm names)')
    const { params, state } = trained(init.params)
    const x = normal(keyFromSeed(2), [2, 9, 7, 8])
    const ctx: Ctx = { training: false, key: keyFromSeed(0), backend }
    const calls = backend.stats.calls
    const a = await folded.apply(params, state, x, ctx)()
    t.is(backend.stats.calls - calls, 1, 'inference is one convolution kernel')
    const b = await unfolded.apply(params, state, x, ctx)()
    t.deepEqual(a.y.shape, b.y.shape)
    t.true(relativeError(a.y.data, b.y.data) < 1e-5, `relative error ${relativeError(a.y.data, b.y.data)}`)
    t.true(a.y.data.some(v => v === 0) && a.y.data.some(v => v > 0), 'the ReLU is in the epilogue')
    const dy = normal(keyFromSeed(7), a.y.shape)
    const [ga, gb] = [await a.backward(dy)(), await b.backward(dy)()]
    t.deepEqual(Array.from(ga.dx.data), Array.from(gb.dx.data))
    // training runs the pair as written: bit for bit
    const train: Ctx = { training: true, key: keyFromSeed(0), backend }
    const [ta, tb] = [await folded.apply(params, state, x, train)(), await unfolded.apply(params, state, x, train)()]
    t.deepEqual(Array.from(ta.y.data), Array.from(tb.y.data))
    t.deepEqual(ta.state, tb.state)
  })
}

test('convBatchNorm folds once per parameter set: a new running statistic refolds', async t => {
  const backend = createBackendOf('cpu', 'test')
  const layer = convBatchNorm({ filters: 4, kernel: 1 }, { relu: false })
  const init = layer.init(keyFromSeed(1), [1, 2, 2, 3])
  const { params, state } = trained(init.params)
  const x = normal(keyFromSeed(2), [1, 2, 2, 3])
  const ctx: Ctx = { training: false, key: keyFromSeed(0), backend }
  const first = await layer.apply(params, state, x, ctx)()
  const again = await layer.apply(params, state, x, ctx)()
  t.deepEqual(Array.from(again.y.data), Array.from(first.y.data))
  const moved = { bn: { ...(state.bn as Tree), running_mean: Tensor.zeros([4]) } }
  const refolded = await layer.apply(params, moved, x, ctx)()
  const reference = await serial(named('conv', conv2d({ filters: 4, kernel: 1 })), named('bn', batchNorm({ relu: false }))).apply(params, moved, x, ctx)()
  t.true(relativeError(refolded.y.data, reference.y.data) < 1e-5)
  t.true(relativeError(refolded.y.data, first.y.data) > 1e-3, 'not the stale fold')
  await backend.destroy()
})
