import test from 'ava'
import { Ctx, Tree, flatten, unflatten } from '../../lib/nn'
import { block } from '../helpers/block'
import { Tensor, foldInName, keyFromSeed, normal } from '../../lib/tensor'
import { backendFor, testModes } from '../helpers/backends'
import { dot, relativeError } from '../helpers/numeric'

for (const mode of testModes()) {
  test(`${mode}: a composed block (serial + branches + residual) passes a gradient check`, async t => {
    const be = await backendFor(mode)
    const layer = block()
    const key = keyFromSeed(3)
    const { params, state, outputShape } = layer.init(key, [2, 5, 5, 8])
    t.deepEqual(outputShape, [2, 5, 5, 8])
    const x = normal(foldInName(key, 'x'), [2, 5, 5, 8])
    const ctx: Ctx = { training: true, key, backend: be }
    const a = await layer.apply(params, state, x, ctx)()
    const r = normal(foldInName(key, 'r'), a.y.shape)
    const g = await a.backward(r)()
    const loss = async (p: Tree, input: Tensor) => dot(r.data, (await layer.apply(p, state, input, ctx)()).y.data)

    // float32 forward passes: a larger step and a looser tolerance than the op-level float64 checks
    const h = 1e-2
    const perturbed = (t0: Tensor, i: number, d: number) => Tensor.fromArray(t0.shape, t0.data.map((v, j) => (j === i ? v + d : v)))
    const paramEntries = flatten(params)
    const gradEntries = new Map(flatten(g.params))
    t.deepEqual([...gradEntries.keys()].sort(), paramEntries.map(([k]) => k).sort(), 'a gradient for every parameter')
    const checks: [string, number][] = [
      ['branch0.conv.weight', 5], ['branch1.1.conv.weight', 7], ['branch2.1.bn.weight', 2], ['branch2.1.bn.bias', 3], ['conv2d.weight', 11], ['conv2d.bias', 4],
    ]
    const analytic: number[] = []
    const numeric: number[] = []
    for (const [path, i] of checks) {
      const p0 = paramEntries.find(([k]) => k === path)![1]
      const with_ = (d: number) => unflatten(paramEntries.map(([k, v]) => [k, k === path ? perturbed(p0, i, d) : v] as const))
      numeric.push(((await loss(with_(h), x)) - (await loss(with_(-h), x))) / (2 * h))
      analytic.push(gradEntries.get(path)!.data[i]!)
    }
    for (const i of [0, 17, 99, 199]) {
      numeric.push(((await loss(params, perturbed(x, i, h))) - (await loss(params, perturbed(x, i, -h)))) / (2 * h))
      analytic.push(g.dx.data[i]!)
    }
    const err = relativeError(analytic, numeric)
    t.log(`relative error ${err.toExponential(2)}`)
    t.true(err < 5e-3, `relative error ${err.toExponential(2)}: ${analytic.map(v => v.toFixed(4))} vs ${numeric.map(v => v.toFixed(4))}`)
  })
}
