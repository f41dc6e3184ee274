import type * as TfTypes from '@tensorflow/tfjs-core'
import { Graph } from '../../lib/nn'
import { Tensor } from '../../lib/tensor'
import { Tree } from '../../lib/tree'

type Tf = typeof TfTypes
type T = TfTypes.Tensor

/** A parameter tree (or state tree) as TensorFlow.js tensors, same paths. */
export type TfTree = { readonly [k: string]: T | TfTree }

/**
 * rxception tensors to TensorFlow.js tensors, same paths and values.
 *
 * @example
 * const tp = toTf(tf, params)
 */
export const toTf = (tf: Tf, tree: Tree): TfTree =>
  Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof Tensor ? tf.tensor(v.data, [...v.shape]) : toTf(tf, v as Tree)]))

const leaf = (tree: TfTree, name: string, where: string): T => {
  const t = tree[name]
  if (!t || !(t as T).dataId) throw new Error(`tfjs peer: parameter '${where}.${name}' is missing`)
  return t as T
}

const sub = (tree: TfTree, name: string | undefined): TfTree => (name ? ((tree[name] as TfTree | undefined) ?? {}) : tree)

/**
 * Evaluates a network's graph with TensorFlow.js ops on rxception's parameters: the benchmark's
 * peer, and an independent check of every rxception kernel (the logits must agree). Training mode
 * normalises with the batch's statistics (biased variance), as rxception does; dropout must be
 * off (keep 1) for the two to be comparable.
 *
 * @example
 * const logits = tfForward(tf, net.graph!(shape), toTf(tf, params), toTf(tf, state), tf.tensor(x.data, x.shape), false)
 */
export const tfForward = (tf: Tf, g: Graph, p: TfTree, s: TfTree, x: T, training: boolean, where = 'net'): T => {
  switch (g.op) {
    case 'serial':
      return g.children.reduce((y, c) => tfForward(tf, c.graph, sub(p, c.name), sub(s, c.name), y, training, c.name ? `${where}.${c.name}` : where), x)
    case 'branches':
      return tf.concat(g.children.map(c => tfForward(tf, c.graph, sub(p, c.name), sub(s, c.name), x, training, c.name ? `${where}.${c.name}` : where)), 3)
    case 'residual': {
      const sum = tf.add(x, tf.mul(tfForward(tf, g.body, p, s, x, training, where), g.scale))
      return g.relu ? tf.relu(sum) : sum
    }
    case 'conv2d': {
      const y = tf.conv2d(x as TfTypes.Tensor4D, leaf(p, 'weight', where) as TfTypes.Tensor4D, g.stride, g.padding)
      return g.bias ? tf.add(y, leaf(p, 'bias', where)) : y
    }
    case 'batchNorm': {
      const { mean, variance } = training ? tf.moments(x, [0, 1, 2]) : { mean: leaf(s, 'running_mean', where), variance: leaf(s, 'running_var', where) }
      const scale = g.gamma ? tf.mul(leaf(p, 'weight', where), tf.rsqrt(tf.add(variance, g.epsilon))) : tf.rsqrt(tf.add(variance, g.epsilon))
      const y = tf.add(tf.mul(tf.sub(x, mean), scale), leaf(p, 'bias', where))
      return g.relu ? tf.relu(y) : y
    }
    case 'maxPool':
      return tf.maxPool(x as TfTypes.Tensor4D, g.size, g.stride, g.padding)
    case 'avgPool':
      return g.padding === 'same' ? sameAvgPool(tf, x as TfTypes.Tensor4D, g.size, g.stride) : tf.avgPool(x as TfTypes.Tensor4D, g.size, g.stride, 'valid')
    case 'relu':
      return tf.relu(x)
    case 'globalAvgPool':
      return tf.mean(x, [1, 2])
    case 'dense':
      return tf.add(tf.matMul(x as TfTypes.Tensor2D, leaf(p, 'weight', where) as TfTypes.Tensor2D), leaf(p, 'bias', where))
    case 'dropout':
      if (training && g.keep < 1) throw new Error(`tfjs peer: ${where}: dropout (keep ${g.keep}) makes the two engines incomparable; build the network with dropoutKeep 1`)
      return x
  }
}

/**
 * Average pooling with TensorFlow's 'same' padding (the divisor counts only positions inside the
 * image), written as a 'valid' pool of the zero-padded input divided by the same pool of ones.
 * TensorFlow.js 4.22's own 'same' avgPool divides by the inside count going forward but by size²
 * in its gradient (measured: d/dx of sum(avgPool(ones 3×3, 3, 1, 'same')) is 4/9 at a corner instead
 * of 1/4 + 2/6 + 1/9), so training through it would not match; this form's gradient is exact.
 */
const sameAvgPool = (tf: Tf, x: TfTypes.Tensor4D, size: number, stride: number): T => {
  const pads = [1, 2].map(axis => {
    const n = x.shape[axis]!
    const out = Math.ceil(n / stride)
    const total = Math.max((out - 1) * stride + size - n, 0)
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number]
  })
  const padding: [number, number][] = [[0, 0], pads[0]!, pads[1]!, [0, 0]]
  const sums = tf.avgPool(tf.pad(x, padding), size, stride, 'valid')
  const inside = tf.avgPool(tf.pad(tf.onesLike(x), padding), size, stride, 'valid')
  return tf.div(sums, inside)
}

/**
 * Softmax cross-entropy with label smoothing, averaged over the batch (rxception's softmaxCrossEntropy).
 *
 * @example
 * const loss = tfCrossEntropy(tf, logits, [3, 1], 0.1)
 */
export const tfCrossEntropy = (tf: Tf, logits: T, labels: readonly number[], smoothing: number): T => {
  const k = logits.shape[1]!
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(labels as number[], 'int32'), k), 'float32')
  const target = tf.add(tf.mul(onehot, 1 - smoothing), smoothing / k)
  return tf.mean(tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)))
}

/**
 * The dotted paths of every leaf of a tree, in order (the first and last parameters are the
 * network's first and last layers).
 *
 * @example
 * leafPaths(params)[0] // 'features.0.conv.weight'
 */
export const leafPaths = (tree: TfTree | Tree, prefix = ''): string[] =>
  Object.entries(tree).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k
    return (v as T).dataId || v instanceof Tensor ? [path] : leafPaths(v as TfTree, path)
  })

/** The tree with the leaf at `path` replaced. */
export const withLeaf = (tree: TfTree, path: string, value: T): TfTree => {
  const [head, ...rest] = path.split('.')
  return { ...tree, [head!]: rest.length === 0 ? value : withLeaf(tree[head!] as TfTree, rest.join('.'), value) }
}

/** The leaf at a dotted path. */
export const leafAt = (tree: TfTree, path: string): T => path.split('.').reduce<TfTree | T>((t, k) => (t as TfTree)[k]!, tree) as T
