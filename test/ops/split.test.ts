import test from 'ava'
import { createBackendOf } from '../../lib/backend'
import { Tree, flatten } from '../../lib/nn'
import { setKernelLimit } from '../../lib/ops/internal/split'
import { softmaxCrossEntropy } from '../../lib/ops'
import { keyFromSeed, normal } from '../../lib/tensor'
import { inceptionResNetV1, inceptionV4 } from '../../modules'

/**
 * Work over the kernel argument limit (2^24 values: gpu.js indexes in float32) is split along the
 * batch (or, for reductions, into whole groups that continue each other's sums). Here the limit is
 * set tiny so a small network's activations split many ways: a whole training step must give the
 * same bits as the unsplit run.
 */
const step = async (net: ReturnType<typeof inceptionV4>, shape: number[], limit: number | undefined) => {
  const restore = limit ? setKernelLimit(limit) : () => undefined
  const backend = createBackendOf('webasm', 'test', 2)
  try {
    const { params, state } = net.init(keyFromSeed(1), shape)
    const x = normal(keyFromSeed(2), shape)
    const out = await net.apply(params, state, x, { training: true, key: keyFromSeed(3), backend })()
    const labels = Array.from({ length: shape[0]! }, (_, i) => i % 10)
    const xe = await softmaxCrossEntropy(out.y, labels, 0.1, backend)
    const g = await out.backward(xe.dlogits)()
    return { loss: xe.loss, y: Array.from(out.y.data), dx: Array.from(g.dx.data), grads: flatten(g.params as Tree), state: flatten(out.state), compiled: backend.stats.compiled }
  } finally {
    restore()
    await backend.destroy()
  }
}

const bits = (leaves: readonly (readonly [string, { data: Float32Array }])[]) => Object.fromEntries(leaves.map(([k, v]) => [k, Array.from(v.data)]))

test.serial('a training step over the kernel limit splits along the batch and gives the unsplit bits (Inception-ResNet-v1, width 1/8)', async t => {
  const net = inceptionResNetV1({ width: 0.125, repeats: [1, 1, 1], sameStride2: true, classes: 10 })
  const shape = [5, 40, 40, 3]
  const whole = await step(net, shape, undefined)
  const split = await step(net, shape, 16000) // just over the largest per-sample need (the first convolution's tap table): most ops run one sample per call
  t.true(split.compiled > whole.compiled, 'slices of another size compiled their own kernels')
  t.is(split.loss, whole.loss)
  t.deepEqual(split.y, whole.y)
  t.deepEqual(split.dx, whole.dx)
  t.deepEqual(bits(split.grads), bits(whole.grads))
  t.deepEqual(bits(split.state), bits(whole.state))
})

test.serial('Inception-v4 blocks (max and average pools, concatenations, 1x7/7x1 convolutions) split the same way', async t => {
  const net = inceptionV4({ width: 0.0625, repeats: [1, 1, 1], sameStride2: true, classes: 10 })
  const shape = [3, 75, 75, 3]
  const whole = await step(net, shape, undefined)
  const split = await step(net, shape, 60000)
  t.is(split.loss, whole.loss)
  t.deepEqual(split.dx, whole.dx)
  t.deepEqual(bits(split.grads), bits(whole.grads))
})

test.serial('one sample over the limit is refused with the op named', async t => {
  const restore = setKernelLimit(100)
  const backend = createBackendOf('cpu', 'test')
  try {
    const net = inceptionResNetV1({ width: 0.125, repeats: [1, 1, 1], sameStride2: true, classes: 10 })
    const { params, state } = net.init(keyFromSeed(1), [2, 40, 40, 3])
    await t.throwsAsync(net.apply(params, state, normal(keyFromSeed(2), [2, 40, 40, 3]), { training: false, key: keyFromSeed(3), backend }), { message: /conv2d: one item needs \d+ values, over the kernel limit of 100/ })
  } finally {
    restore()
    await backend.destroy()
  }
  t.throws(() => setKernelLimit(2 ** 25), { message: /kernel limit: expected an integer in \[4, 16777216\]/ })
})
