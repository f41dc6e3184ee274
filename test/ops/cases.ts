import { Backend } from '../../lib/backend'
import * as ops from '../../lib/ops'
import { conv2dRef } from '../../lib/ops/reference/conv2d'
import { avgPoolRef, maxPoolRef } from '../../lib/ops/reference/pool'
import * as ref from '../../lib/ops/reference/basic'
import { Key, Tensor, foldInName, keyFromSeed, normal, uniform } from '../../lib/tensor'

/**
 * One table of op cases, run by the forward test (kernel vs float64 reference, every backend) and
 * the gradient test (kernel gradients vs central finite differences of the reference).
 */
export interface OpCase {
  readonly name: string
  readonly inputs: Record<string, Tensor>
  /** Inputs whose gradients are checked. */
  readonly wrt: readonly string[]
  forward(be: Backend, x: Record<string, Tensor>): Promise<Tensor>
  reference(x: Record<string, Float64Array>): Float64Array
  backward(be: Backend, x: Record<string, Tensor>, dy: Tensor): Promise<Record<string, Tensor>>
}

const root = keyFromSeed(20261128)
const rand = (name: string, shape: number[]) => normal(foldInName(root, name), shape)
/** Values kept away from ReLU's kink so finite differences do not straddle it. */
const awayFromZero = (name: string, shape: number[]) => {
  const t = rand(name, shape)
  return Tensor.adopt(t.shape, t.data.map(v => (Math.abs(v) < 0.05 ? v + Math.sign(v || 1) * 0.1 : v)))
}

const convCase = (name: string, xs: number[], ws: number[], opts: ops.Conv2DOptions): OpCase => {
  const g = ops.convGeometry(xs, ws, opts)
  return {
    name: `conv2d ${name}`,
    inputs: { x: rand(name + 'x', xs), w: rand(name + 'w', ws), b: rand(name + 'b', [ws[3]!]) },
    wrt: ['x', 'w', 'b'],
    forward: (be, i) => ops.conv2d(i.x!, i.w!, i.b, opts, be),
    reference: i => conv2dRef(g, i.x!, i.w!, i.b),
    backward: async (be, i, dy) => {
      const r = await ops.conv2dGrad(i.x!, i.w!, dy, opts, be)
      return { x: r.dx, w: r.dw, b: r.db! }
    },
  }
}

const poolCase = (kind: 'max' | 'avg', xs: number[], opts: ops.PoolOptions): OpCase => {
  const g = ops.poolGeometry(xs, opts, 'test')
  const name = `${kind}Pool ${opts.size ?? 3}x${opts.size ?? 3} s${opts.stride} ${opts.padding}`
  return {
    name,
    inputs: { x: rand(name, xs) },
    wrt: ['x'],
    forward: (be, i) => (kind === 'max' ? ops.maxPool(i.x!, opts, be) : ops.avgPool(i.x!, opts, be)),
    reference: i => (kind === 'max' ? maxPoolRef(g, i.x!) : avgPoolRef(g, i.x!)),
    backward: async (be, i, dy) => ({ x: kind === 'max' ? await ops.maxPoolGrad(i.x!, dy, opts, be) : await ops.avgPoolGrad(i.x!.shape, dy, opts, be) }),
  }
}

const bnCase = (withGamma: boolean, relu = false): OpCase => {
  const c = 8
  const eps = 1e-3
  const running = { mean: Tensor.zeros([c]), variance: Tensor.ones([c]) }
  return {
    name: `batchNorm training ${withGamma ? 'with' : 'without'} gamma${relu ? ', fused ReLU (its mask applied inside the gradient kernels)' : ''}`,
    inputs: {
      x: rand('bnx' + withGamma, [2, 3, 3, c]),
      beta: rand('bnb', [c]),
      ...(withGamma ? { gamma: uniform(foldInName(root, 'bng'), [c], 0.5, 1.5) } : {}),
    },
    wrt: withGamma ? ['x', 'beta', 'gamma'] : ['x', 'beta'],
    forward: async (be, i) => (await ops.batchNormTraining(i.x!, { beta: i.beta!, gamma: i.gamma }, running, { epsilon: eps, relu }, be)).y,
    reference: i => ref.batchNormTrainingRef(i.x!, i.gamma, i.beta!, c, eps).map(v => relu ? Math.max(v, 0) : v),
    backward: async (be, i, dy) => {
      const p = { beta: i.beta!, gamma: i.gamma }
      const fwd = await ops.batchNormTraining(i.x!, p, running, { epsilon: eps, relu }, be)
      const g = await ops.batchNormTrainingGrad(i.x!, dy, p, fwd, be, relu ? fwd.y : undefined)
      return { x: g.dx, beta: g.dbeta, ...(g.dgamma ? { gamma: g.dgamma } : {}) }
    },
  }
}

const bnInferenceCase = (): OpCase => {
  const c = 8
  const running = { mean: rand('bnim', [c]), variance: uniform(foldInName(root, 'bniv'), [c], 0.5, 2) }
  return {
    name: 'batchNorm inference',
    inputs: { x: rand('bnix', [2, 3, 3, c]), beta: rand('bnib', [c]), gamma: uniform(foldInName(root, 'bnig'), [c], 0.5, 1.5) },
    wrt: ['x', 'beta', 'gamma'],
    forward: (be, i) => ops.batchNormInference(i.x!, { beta: i.beta!, gamma: i.gamma }, running, {}, be),
    reference: i => ref.batchNormInferenceRef(i.x!, i.gamma, i.beta!, running.mean.data, running.variance.data, c, 1e-3),
    backward: async (be, i, dy) => {
      const g = await ops.batchNormInferenceGrad(i.x!, dy, { beta: i.beta!, gamma: i.gamma }, running, {}, be)
      return { x: g.dx, beta: g.dbeta, gamma: g.dgamma! }
    },
  }
}

const dropoutKey: Key = foldInName(root, 'dropout')
const dropoutMask = ops.dropoutMask(dropoutKey, [4, 12], 0.8)

const labels = [3, 0, 9, 5]

export const opCases: readonly OpCase[] = [
  convCase('3x3 s1 same rgb', [2, 7, 6, 3], [3, 3, 3, 8], { stride: 1, padding: 'same' }),
  convCase('3x3 s2 valid', [2, 9, 8, 4], [3, 3, 4, 8], { stride: 2, padding: 'valid' }),
  convCase('3x3 s2 same', [1, 8, 7, 4], [3, 3, 4, 4], { stride: 2, padding: 'same' }),
  convCase('1x7 s1 same', [1, 6, 9, 4], [1, 7, 4, 8], { stride: 1, padding: 'same' }),
  convCase('7x1 s1 same', [1, 9, 5, 4], [7, 1, 4, 4], { stride: 1, padding: 'same' }),
  convCase('1x3 s1 same', [2, 4, 5, 8], [1, 3, 8, 4], { stride: 1, padding: 'same' }),
  convCase('3x1 s1 same', [2, 5, 4, 8], [3, 1, 8, 4], { stride: 1, padding: 'same' }),
  convCase('1x1 s1 valid', [2, 5, 5, 12], [1, 1, 12, 8], { stride: 1, padding: 'valid' }),
  convCase('1x1 s2 valid', [1, 7, 7, 4], [1, 1, 4, 4], { stride: 2, padding: 'valid' }),
  convCase('3x3 s2 same on a 1×1 map (stride phases holding only padding)', [2, 1, 1, 4], [3, 3, 4, 8], { stride: 2, padding: 'same' }),
  // kernels wider than the map: taps that only ever read padding are cropped away (internal/dead-taps.ts)
  convCase('1x7 same on a 3-wide map (2 dead columns cropped)', [2, 3, 3, 4], [1, 7, 4, 8], { stride: 1, padding: 'same' }),
  convCase('5x5 same on a 2×3 map (dead rows and columns cropped)', [1, 2, 3, 4], [5, 5, 4, 12], { stride: 1, padding: 'same' }),
  convCase('5x5 s1 valid', [1, 8, 8, 4], [5, 5, 4, 4], { stride: 1, padding: 'valid' }),
  convCase('3x3 s1 same odd channels', [1, 5, 6, 5], [3, 3, 5, 7], { stride: 1, padding: 'same' }),
  // webasm runs channel counts divisible by 8 or 12 as 2- or 3-group tiles (lib/ops/internal/tile.ts)
  convCase('3x3 s1 valid 12→24 (3-group tiles, 70 positions)', [2, 9, 7, 12], [3, 3, 12, 24], { stride: 1, padding: 'valid' }),
  convCase('3x3 s2 same 24→12 (3-group tiles, stride phases)', [1, 9, 7, 24], [3, 3, 24, 12], { stride: 2, padding: 'same' }),
  // filters over 512 KiB run their forward in column blocks on webasm (conv2d's filterBlocks): 2 blocks, then 3 of 88 channels (2-group tiles, with fused multiply-add; RXCEPTION_FMA=0's 3 groups: 2 of 132)
  convCase('1x1 s1 valid 288→512 (a 576 KiB filter: 2 column blocks)', [1, 3, 5, 288], [1, 1, 288, 512], { stride: 1, padding: 'valid' }),
  convCase('3x3 s1 same 64→264 (a 594 KiB filter: 3 column blocks)', [1, 4, 3, 64], [3, 3, 64, 264], { stride: 1, padding: 'same' }),
  convCase('1x1 s1 valid 2600→50 (a 508 KiB filter of 50 channels: whole quads do not split them, one block)', [1, 2, 3, 2600], [1, 1, 2600, 50], { stride: 1, padding: 'valid' }),
  convCase('1x1 s1 valid 2700→50 (a 527 KiB filter of 50 channels: one block all the same)', [1, 2, 3, 2700], [1, 1, 2700, 50], { stride: 1, padding: 'valid' }),
  poolCase('max', [2, 9, 9, 4], { size: 3, stride: 2, padding: 'valid' }),
  poolCase('max', [1, 6, 7, 4], { size: 3, stride: 1, padding: 'same' }),
  poolCase('max', [1, 8, 8, 4], { size: 3, stride: 2, padding: 'same' }),
  poolCase('avg', [2, 6, 5, 4], { size: 3, stride: 1, padding: 'same' }),
  poolCase('avg', [1, 9, 9, 4], { size: 3, stride: 2, padding: 'valid' }),
  poolCase('avg', [1, 8, 7, 4], { size: 3, stride: 2, padding: 'same' }),
  bnCase(true),
  bnCase(false),
  bnCase(true, true),
  bnInferenceCase(),
  {
    name: 'relu',
    inputs: { x: awayFromZero('relu', [3, 4, 8]) },
    wrt: ['x'],
    forward: (be, i) => ops.relu(i.x!, be),
    reference: i => ref.reluRef(i.x!),
    backward: async (be, i, dy) => ({ x: await ops.reluGrad(await ops.relu(i.x!, be), dy, be) }),
  },
  {
    name: 'add',
    inputs: { a: rand('adda', [2, 3, 8]), b: rand('addb', [2, 3, 8]) },
    wrt: ['a', 'b'],
    forward: (be, i) => ops.add(i.a!, i.b!, be),
    reference: i => ref.addRef(i.a!, i.b!),
    backward: async (_be, _i, dy) => ({ a: dy, b: dy }),
  },
  {
    name: 'scaledAdd 0.17',
    inputs: { a: rand('sadda', [2, 3, 8]), b: rand('saddb', [2, 3, 8]) },
    wrt: ['a', 'b'],
    forward: (be, i) => ops.scaledAdd(i.a!, i.b!, 0.17, be),
    reference: i => ref.scaledAddRef(i.a!, i.b!, 0.17),
    backward: async (be, _i, dy) => ({ a: dy, b: await ops.scale(dy, 0.17, be) }),
  },
  {
    name: 'scaledAddRelu 0.2 (the residual sum and its ReLU fused)',
    inputs: { a: awayFromZero('sarla', [2, 3, 8]), b: rand('sarlb', [2, 3, 8]) },
    wrt: ['a', 'b'],
    forward: (be, i) => ops.scaledAddRelu(i.a!, i.b!, 0.2, be),
    reference: i => ref.reluRef(ref.scaledAddRef(i.a!, i.b!, 0.2)),
    backward: async (be, i, dy) => {
      const d = await ops.reluGrad(await ops.scaledAddRelu(i.a!, i.b!, 0.2, be), dy, be)
      return { a: d, b: await ops.scale(d, 0.2, be) }
    },
  },
  {
    name: 'concat channels (3 inputs)',
    inputs: { a: rand('ca', [2, 3, 4]), b: rand('cb', [2, 3, 8]), c: rand('cc', [2, 3, 4]) },
    wrt: ['a', 'b', 'c'],
    forward: (be, i) => ops.concatChannels([i.a!, i.b!, i.c!], be),
    reference: i => ref.concatRef([i.a!, i.b!, i.c!], [4, 8, 4]),
    backward: async (be, _i, dy) => {
      const [a, b, c] = await ops.splitChannels(dy, [4, 8, 4], be)
      return { a: a!, b: b!, c: c! }
    },
  },
  {
    name: 'globalAvgPool',
    inputs: { x: rand('gap', [2, 3, 5, 8]) },
    wrt: ['x'],
    forward: (be, i) => ops.globalAvgPool(i.x!, be),
    reference: i => ref.globalAvgPoolRef(i.x!, 2, 15, 8),
    backward: async (be, i, dy) => ({ x: await ops.globalAvgPoolGrad(i.x!.shape, dy, be) }),
  },
  {
    name: 'dense',
    inputs: { x: rand('dx', [5, 12]), w: rand('dw', [12, 10]), b: rand('db', [10]) },
    wrt: ['x', 'w', 'b'],
    forward: (be, i) => ops.dense(i.x!, i.w!, i.b, be),
    reference: i => ref.denseRef(i.x!, i.w!, i.b, 5, 12, 10),
    backward: async (be, i, dy) => {
      const g = await ops.denseGrad(i.x!, i.w!, dy, be)
      return { x: g.dx, w: g.dw, b: g.db }
    },
  },
  {
    name: 'softmaxCrossEntropy (label smoothing 0.1)',
    inputs: { z: normal(foldInName(root, 'logits'), [4, 10], 0, 3) },
    wrt: ['z'],
    forward: async (be, i) => Tensor.fromArray([1], [(await ops.softmaxCrossEntropy(i.z!, labels, 0.1, be)).loss]),
    reference: i => Float64Array.of(ref.softmaxCrossEntropyRef(i.z!, ops.targets(labels, 10, 0.1), 4, 10)),
    backward: async (be, i, dy) => ({ z: await ops.scale((await ops.softmaxCrossEntropy(i.z!, labels, 0.1, be)).dlogits, dy.data[0]!, be) }),
  },
  {
    name: 'dropout (keep 0.8)',
    inputs: { x: rand('drop', [4, 12]) },
    wrt: ['x'],
    forward: async (be, i) => (await ops.dropout(i.x!, dropoutKey, 0.8, be)).y,
    reference: i => Float64Array.from(i.x!, (v, k) => v * dropoutMask.data[k]!),
    backward: async (be, i, dy) => ({ x: await ops.dropoutGrad(dy, (await ops.dropout(i.x!, dropoutKey, 0.8, be)).mask, be) }),
  },
]

export const float64 = (inputs: Record<string, Tensor>): Record<string, Float64Array> =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Float64Array.from(v.data)]))
