import test from 'ava'
import { Ctx, LayerShapeError, batchNorm, branches, conv2d, countParameters, dense, dropout, flatten, globalAvgPool, maxPool, named, relu, serial } from '../../lib/nn'
import { Tensor, keyFromSeed, normal } from '../../lib/tensor'
import { backendFor } from '../helpers/backends'
import { block } from '../helpers/block'

const tiny = () =>
  serial(
    named('stem', serial(named('conv', conv2d({ filters: 8, kernel: 3, stride: 2 })), named('bn', batchNorm({ relu: true })))),
    named('mixed', branches(named('branch0', conv2d({ filters: 4, kernel: 1 })), named('branch1', maxPool({ stride: 1, padding: 'same' })))),
    globalAvgPool(),
    dropout(0.8),
    named('last_linear', dense(5)),
  )

test('init gives output shapes and dotted parameter names, and allocates no activations', t => {
  const { outputShape, params, state } = tiny().init(keyFromSeed(1), [2, 9, 9, 3])
  t.deepEqual(outputShape, [2, 5])
  t.deepEqual(flatten(params).map(([k, v]) => `${k} [${v.shape}]`), [
    'stem.conv.weight [3,3,3,8]', 'stem.bn.weight [8]', 'stem.bn.bias [8]',
    'mixed.branch0.weight [1,1,8,4]', 'last_linear.weight [12,5]', 'last_linear.bias [5]',
  ])
  t.deepEqual(flatten(state).map(([k]) => k), ['stem.bn.running_mean', 'stem.bn.running_var'])
  t.is(countParameters(params), 3 * 3 * 3 * 8 + 16 + 32 + 60 + 5)
})

test('the same key gives the same initialisation; another key another', t => {
  const a = flatten(tiny().init(keyFromSeed(5), [1, 9, 9, 3]).params)
  const b = flatten(tiny().init(keyFromSeed(5), [1, 9, 9, 3]).params)
  const c = flatten(tiny().init(keyFromSeed(6), [1, 9, 9, 3]).params)
  t.deepEqual(a.map(([, v]) => v.toArray()), b.map(([, v]) => v.toArray()))
  t.notDeepEqual(a[0]![1].toArray(), c[0]![1].toArray())
})

test('shape errors at init name the layer path and the shapes', t => {
  const net = serial(
    named('stem', serial(named('conv', conv2d({ filters: 8, kernel: 3 })))),
    named('mixed', branches(named('branch0', conv2d({ filters: 4, kernel: 1 })), named('branch1', conv2d({ filters: 4, kernel: 3 })))),
  )
  const e = t.throws(() => net.init(keyFromSeed(1), [1, 9, 9, 3]), { instanceOf: LayerShapeError })
  t.deepEqual(e!.path, ['mixed', 'branch1'])
  t.regex(e!.message, /mixed\/branch1: branches: output \[1, 5, 5, 4\] cannot be concatenated with branch0's \[1, 7, 7, 4\]/)

  const tooSmall = t.throws(() => serial(named('stem', conv2d({ filters: 4, kernel: 7 }))).init(keyFromSeed(1), [1, 5, 5, 3]))
  t.regex(tooSmall!.message, /^stem: conv2d 7x7\/1 valid → 4: .*does not fit a 5×5 input/)

  const noPool = t.throws(() => serial(named('head', dense(3))).init(keyFromSeed(1), [1, 4, 4, 8]))
  t.regex(noPool!.message, /head: dense → 3: expected \[N, features\], got \[1, 4, 4, 8\] \(add globalAvgPool first\)/)
})

test('apply-time shape errors name the layer path', async t => {
  const be = await backendFor('cpu')
  const net = serial(named('stem', serial(named('conv', conv2d({ filters: 8, kernel: 3 })))))
  const { params, state } = net.init(keyFromSeed(1), [1, 9, 9, 3])
  const ctx: Ctx = { training: false, key: keyFromSeed(1), backend: be }
  const e = await t.throwsAsync(net.apply(params, state, Tensor.zeros([1, 9, 9, 4]), ctx)())
  t.regex(e!.message, /stem\/conv: conv2d 3x3\/1 valid → 8: conv2d: input \[1, 9, 9, 4\] has 4 channels, filter \[3, 3, 3, 8\] expects 3/)
})

test('dropout: same key same mask, another key another mask, identity in inference', async t => {
  const be = await backendFor('webasm')
  const layer = dropout(0.5)
  const x = Tensor.ones([4, 16])
  const run = async (seed: number, training: boolean) => (await layer.apply({}, {}, x, { training, key: keyFromSeed(seed), backend: be })()).y.toArray()
  t.deepEqual(await run(1, true), await run(1, true))
  t.notDeepEqual(await run(1, true), await run(2, true))
  t.true((await run(1, true)).every(v => v === 0 || v === 2))
  t.deepEqual(await run(1, false), x.toArray())
})

test('batch norm updates its running statistics in training and keeps them in inference', async t => {
  const be = await backendFor('webasm')
  const layer = batchNorm({ decay: 0.5 })
  const { params, state } = layer.init(keyFromSeed(1), [2, 2, 2, 4])
  const x = normal(keyFromSeed(2), [2, 2, 2, 4], 3, 1)
  const trained = await layer.apply(params, state, x, { training: true, key: keyFromSeed(1), backend: be })()
  const mean = (trained.state.running_mean as Tensor).data
  const batchMean = [0, 1, 2, 3].map(c => x.data.filter((_, i) => i % 4 === c).reduce((a, b) => a + b, 0) / 8)
  batchMean.forEach((m, c) => t.true(Math.abs(mean[c]! - 0.5 * m) < 1e-5))
  const inferred = await layer.apply(params, trained.state, x, { training: false, key: keyFromSeed(1), backend: be })()
  t.is(inferred.state, trained.state)
})

test('kernels compile once: a second training step compiles nothing', async t => {
  const be = await backendFor('webasm')
  const net = serial(block(), relu())
  const { params, state } = net.init(keyFromSeed(1), [2, 5, 5, 8])
  const step = async () => {
    const a = await net.apply(params, state, normal(keyFromSeed(2), [2, 5, 5, 8]), { training: true, key: keyFromSeed(3), backend: be })()
    await a.backward(Tensor.ones(a.y.shape))()
  }
  await step()
  const compiled = be.stats.compiled
  const calls = be.stats.calls
  await step()
  t.is(be.stats.compiled, compiled)
  t.true(be.stats.calls > calls)
})
