import test from 'ava'
import { Ctx, Tree, flatten, unflatten } from '../../lib/nn'
import { softmaxCrossEntropy } from '../../lib/ops'
import { Tensor, foldInName, keyFromSeed, normal } from '../../lib/tensor'
import { NETWORKS } from '../../modules'
import { backendFor } from '../helpers/backends'
import { dot } from '../helpers/numeric'

/**
 * Each network at width 1/8 and 75x75 (the smallest valid input): a training-mode forward and
 * backward pass, then finite differences (inference mode, float32 forward passes) on the first and
 * the last layer's weights.
 */
const first: Record<keyof typeof NETWORKS, string> = {
  'inception-v4': 'features.0.conv.weight',
  'inception-resnet-v1': 'conv2d_1a.conv.weight',
  'inception-resnet-v2': 'conv2d_1a.conv.weight',
}
const last: Record<keyof typeof NETWORKS, string> = {
  'inception-v4': 'last_linear.weight',
  'inception-resnet-v1': 'logits.weight',
  'inception-resnet-v2': 'classif.weight',
}

for (const name of Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]) {
  test(`${name}: forward and backward at small width, gradients of the first and last layers match finite differences`, async t => {
    const be = await backendFor('webasm')
    const net = NETWORKS[name]({ width: 1 / 8, classes: 5, dropoutKeep: 1 })
    const key = keyFromSeed(11)
    const { params, state } = net.init(key, [2, 75, 75, 3])
    const x = normal(foldInName(key, 'x'), [2, 75, 75, 3])

    const train = await net.apply(params, state, x, { training: true, key, backend: be })()
    t.deepEqual(train.y.shape, [2, 5])
    const xent = await softmaxCrossEntropy(train.y, [1, 3], 0.1, be)
    t.true(Number.isFinite(xent.loss))
    const tg = await train.backward(xent.dlogits)()
    t.deepEqual(tg.dx.shape, x.shape)
    t.true(flatten(tg.params).every(([, g]) => g.data.every(Number.isFinite)))
    t.notDeepEqual(flatten(train.state)[0]![1].toArray(), flatten(state)[0]![1].toArray(), 'running statistics moved')

    // Finite differences along the gradient's own direction v = g/|g|, where the exact directional
    // derivative is |g|. The net is piecewise linear in these weights (inference mode), so the
    // difference quotient is exact until a ReLU or max-pool switch is crossed or float32 rounding
    // dominates: the best of a few step sizes must agree.
    const ctx: Ctx = { training: false, key, backend: be }
    const a = await net.apply(params, state, x, ctx)()
    const r = normal(foldInName(key, 'r'), a.y.shape)
    const g = new Map(flatten((await a.backward(r)()).params))
    const entries = flatten(params)
    const loss = async (p: Tree) => dot(r.data, (await net.apply(p, state, x, ctx)()).y.data)
    for (const path of [first[name], last[name]]) {
      const grad = g.get(path)!
      const norm = Math.sqrt(dot(grad.data, grad.data))
      t.true(norm > 0, `${path}: zero gradient`)
      const at = (d: number) => unflatten(entries.map(([k, v]) => [k, k === path ? Tensor.fromArray(v.shape, v.data.map((u, j) => u + (d * grad.data[j]!) / norm)) : v] as const))
      const errors: number[] = []
      for (const h of [1e-2, 3e-3, 1e-3, 3e-4]) {
        const fd = ((await loss(at(h))) - (await loss(at(-h)))) / (2 * h)
        errors.push(Math.abs(fd - norm) / norm)
      }
      const best = Math.min(...errors)
      t.log(`${path}: |g| ${norm.toPrecision(4)}, best relative error ${best.toExponential(2)}`)
      t.true(best < 2e-2, `${path}: relative errors ${errors.map(e => e.toExponential(2)).join(', ')}`)
    }
  })
}

test('inception-v4 with the auxiliary head: one training step at 299x299, width 1/16', async t => {
  const be = await backendFor('webasm')
  const net = NETWORKS['inception-v4']({ width: 1 / 16, classes: 5, repeats: [1, 1, 1], aux: true })
  const key = keyFromSeed(5)
  // batch 2: with one image, training-mode batch norm on the head's 1x1 map would output beta alone
  const { params, state } = net.init(key, [2, 299, 299, 3])
  const a = await net.apply(params, state, normal(key, [2, 299, 299, 3]), { training: true, key, backend: be })()
  t.deepEqual(a.y.shape, [2, 10])
  const g = await a.backward(normal(foldInName(key, 'dy'), [2, 10]))()
  const grads = new Map(flatten(g.params))
  t.true(grads.get('aux_logits.fc.weight')!.data.some(v => v !== 0))
  t.true(grads.get('features.0.conv.weight')!.data.some(v => v !== 0))
})
