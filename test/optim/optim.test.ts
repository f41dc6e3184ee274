import test from 'ava'
import { Tree, flatten } from '../../lib/nn'
import { OptimizerName, applyUpdates, clipByGlobalNorm, globalNorm, optimizerByName } from '../../lib/optim'
import { Tensor, keyFromSeed, normal, foldIn } from '../../lib/tensor'
import { backendFor, testModes } from '../helpers/backends'
import { relativeError } from '../helpers/numeric'

/**
 * Each preset against its equations written out by hand in float64 (spec §6.3), over three steps
 * with a changing learning rate, on every backend: a conv-like weight (decays) and a bias (does not).
 */
interface Leaf { p: number[]; ms: number[]; mom: number[] }

const handStep = (name: OptimizerName, leaf: Leaf, g0: number[], lr: number, o: { mu: number; eps: number; rho: number; wd: number; decays: boolean }) => {
  leaf.p.forEach((p, i) => {
    const g = g0[i]! + (o.decays ? o.wd * p : 0)
    if (name === 'rmsproptf') {
      leaf.ms[i] = o.rho * leaf.ms[i]! + (1 - o.rho) * g * g
      leaf.mom[i] = o.mu * leaf.mom[i]! + (lr * g) / Math.sqrt(leaf.ms[i]! + o.eps)
      leaf.p[i] = p - leaf.mom[i]!
    } else if (name === 'rmsprop') {
      leaf.ms[i] = o.rho * leaf.ms[i]! + (1 - o.rho) * g * g
      leaf.mom[i] = o.mu * leaf.mom[i]! + g / (Math.sqrt(leaf.ms[i]!) + o.eps)
      leaf.p[i] = p - lr * leaf.mom[i]!
    } else {
      leaf.mom[i] = o.mu * leaf.mom[i]! + g
      leaf.p[i] = p - lr * leaf.mom[i]!
    }
  })
}

for (const mode of testModes()) {
  for (const name of ['rmsproptf', 'rmsprop', 'sgd'] as const) {
    test(`${mode}: ${name} matches its equations over three steps (weight decay on weights only)`, async t => {
      const be = await backendFor(mode)
      const key = keyFromSeed(3)
      const params: Tree = { conv: { weight: normal(key, [3, 3, 2, 4]), bias: normal(foldIn(key, 1), [4]) } }
      const o = { mu: 0.9, eps: name === 'rmsproptf' ? 1.0 : 1e-3, rho: 0.9, wd: 0.01 }
      const opt = optimizerByName(name, { momentum: o.mu, epsilon: o.eps, decay: o.rho, weightDecay: o.wd })
      const init = name === 'rmsproptf' ? 1 : 0
      const hand = new Map(flatten(params).map(([path, v]) => [path, { p: v.toArray(), ms: v.toArray().map(() => init), mom: v.toArray().map(() => 0) }]))
      let state = opt.init(params)
      let p = params
      const lrs = [0.1, 0.05, 0.05]
      for (let s = 0; s < lrs.length; s++) {
        const grads: Tree = { conv: { weight: normal(foldIn(key, 10 + s), [3, 3, 2, 4]), bias: normal(foldIn(key, 20 + s), [4]) } }
        for (const [path, g] of flatten(grads)) handStep(name, hand.get(path)!, g.toArray(), lrs[s]!, { ...o, decays: path.endsWith('weight') })
        const r = await opt.update(grads, state, { learningRate: lrs[s]!, params: p, backend: be })
        state = r.state
        p = await applyUpdates(p, r.updates, be)
      }
      for (const [path, v] of flatten(p)) {
        const err = relativeError(v.data, hand.get(path)!.p)
        t.true(err < 1e-5, `${path}: relative error ${err}`)
      }
      const st = new Map(flatten(state))
      if (name !== 'sgd') t.true(relativeError(st.get('rms.ms.conv.weight')!.data, hand.get('conv.weight')!.ms) < 1e-5, 'mean-square accumulator')
      // optax's convention: rmsproptf's buffer holds the negated step (the lr is applied before it)
      const sign = name === 'rmsproptf' ? -1 : 1
      t.true(relativeError(st.get('momentum.momentum.conv.bias')!.data, hand.get('conv.bias')!.mom.map(v => sign * v)) < 1e-5, 'momentum buffer')
    })
  }

  test(`${mode}: clipping by global norm scales every leaf by max / norm, and leaves small gradients alone`, async t => {
    const be = await backendFor(mode)
    const g: Tree = { a: Tensor.fromArray([2], [3, 0]), b: { c: Tensor.fromArray([1, 1], [4]) } }
    t.is(globalNorm(g), 5)
    const clip = clipByGlobalNorm(1)
    const r = await clip.update(g, {}, { learningRate: 1, params: g, backend: be })
    t.true(relativeError(flatten(r.updates).flatMap(([, v]) => v.toArray()), [0.6, 0, 0.8]) < 1e-6)
    const big = await clipByGlobalNorm(10).update(g, {}, { learningRate: 1, params: g, backend: be })
    t.is(big.updates, g)
  })
}

test('rmsproptf keeps the learning rate inside the momentum buffer; rmsprop does not', async t => {
  const be = await backendFor('cpu')
  const params: Tree = { w: Tensor.fromArray([1, 1], [0]) }
  const g: Tree = { w: Tensor.fromArray([1, 1], [1]) }
  for (const name of ['rmsproptf', 'rmsprop'] as const) {
    const opt = optimizerByName(name, { momentum: 1, epsilon: 1 })
    let s = opt.init(params)
    const first = await opt.update(g, s, { learningRate: 1, params, backend: be })
    s = first.state
    // A second step with a zero gradient and a learning rate of 0: TF's buffer still carries the
    // first step (lr was applied when it entered); PyTorch's is multiplied by the new lr, 0.
    const second = await opt.update({ w: Tensor.fromArray([1, 1], [0]) }, s, { learningRate: 0, params, backend: be })
    const u = flatten(second.updates)[0]![1].data[0]!
    if (name === 'rmsproptf') t.true(Math.abs(u - flatten(first.updates)[0]![1].data[0]!) < 1e-6, `${name}: ${u}`)
    else t.is(Math.abs(u), 0, `${name}: ${u}`)
  }
})

test('the first rmsproptf step is lr·g/sqrt(0.9 + 0.1·g² + ε): the accumulator starts at one', async t => {
  const be = await backendFor('cpu')
  const params: Tree = { w: Tensor.fromArray([1, 1], [0]) }
  const opt = optimizerByName('rmsproptf', { epsilon: 1e-10 })
  const r = await opt.update({ w: Tensor.fromArray([1, 1], [2]) }, opt.init(params), { learningRate: 0.045, params, backend: be })
  t.true(Math.abs(flatten(r.updates)[0]![1].data[0]! + (0.045 * 2) / Math.sqrt(0.9 + 0.4)) < 1e-7)
})
