import { Tensor } from '../tensor'
import { EMPTY, Tree, mapTree, mapTreeAsync, reduceTree } from '../tree'
import { ops } from './kernels'
import { Transform } from './transform'

/** A stateless transform from a per-leaf kernel call. */
const stateless = (name: string, f: Transform['update']): Transform => ({ name, init: () => EMPTY, update: f })

/**
 * Coupled weight decay (L2): g + λ·θ, as TF-slim's l2_regularizer and PyTorch's `weight_decay`.
 * By default only tensors of rank ≥ 2 (convolution and dense weights) decay: batch-norm
 * parameters and biases are rank 1 and are left alone unless `all` is set.
 *
 * @example
 * addDecayedWeights(4e-5)              // the paper's
 * addDecayedWeights(4e-5, { all: true }) // TF-slim's IR-v2 scope: biases too
 */
export const addDecayedWeights = (weightDecay: number, o: { all?: boolean } = {}): Transform =>
  stateless('weightDecay', async (updates, _s, { params, backend }) => ({
    updates: await mapTreeAsync((g: Tensor, p: Tensor) => (o.all || p.rank >= 2 ? ops.scaledAdd(g, p, weightDecay, backend) : Promise.resolve(g)), updates, params),
    state: EMPTY,
  }))

/**
 * The L2 norm of all leaves together, in float64.
 *
 * @example
 * globalNorm({ a: Tensor.fromArray([2], [3, 4]) }) // 5
 */
export const globalNorm = (tree: Tree): number =>
  Math.sqrt(reduceTree(tree, (acc, t) => t.data.reduce((s, v) => s + v * v, acc), 0))

/**
 * Scales all updates by min(1, max / ‖g‖) (Pascanu et al.; the AAAI paper's clipping, torch's
 * clip_grad_norm_ without its 1e-6).
 *
 * @example
 * chain(clipByGlobalNorm(2), scaleByLearningRate())
 */
export const clipByGlobalNorm = (maxNorm: number): Transform =>
  stateless('clip', async (updates, _s, { backend }) => {
    const norm = globalNorm(updates)
    if (!(norm > maxNorm)) return { updates, state: EMPTY }
    return { updates: await mapTreeAsync((g: Tensor) => ops.scale(g, maxNorm / norm, backend), updates), state: EMPTY }
  })

/**
 * scaleByRms's options: where epsilon sits and where the accumulator starts.
 *
 * @example
 * scaleByRms({ decay: 0.9, epsilon: 1, initialScale: 1, epsilonInside: true }) // TensorFlow's
 */
export interface RmsOptions {
  /** ρ in ms ← ρ·ms + (1 − ρ)·g². */
  readonly decay: number
  readonly epsilon: number
  /** The accumulator's starting value: 1 in TensorFlow and timm's RMSpropTF, 0 in PyTorch. */
  readonly initialScale: number
  /** g / sqrt(ms + ε) (TensorFlow) rather than g / (sqrt(ms) + ε) (PyTorch). */
  readonly epsilonInside: boolean
}

/**
 * Divides by the root of a running mean of squared gradients (state: `ms`).
 *
 * @example
 * chain(scaleByRms({ decay: 0.9, epsilon: 1e-8, initialScale: 0, epsilonInside: false }), scaleByLearningRate())
 */
export const scaleByRms = (o: RmsOptions): Transform => ({
  name: 'rms',
  init: params => ({ ms: mapTree((p: Tensor) => Tensor.fill(p.shape, o.initialScale), params) }),
  async update(updates, state, { backend }) {
    const ms = await mapTreeAsync((m: Tensor, g: Tensor) => ops.accumulateSquare(m, g, o.decay, backend), state.ms as Tree, updates)
    const scaled = await mapTreeAsync((g: Tensor, m: Tensor) => ops.rmsScale(g, m, o.epsilon, o.epsilonInside, backend), updates, ms)
    return { updates: scaled, state: { ms } }
  },
})

/**
 * Momentum: buffer ← μ·buffer + u; the update is the buffer (state: `momentum`).
 *
 * @example
 * chain(trace(0.9), scaleByLearningRate()) // SGD with momentum
 */
export const trace = (momentum: number): Transform => ({
  name: 'momentum',
  init: params => (momentum === 0 ? EMPTY : { momentum: mapTree((p: Tensor) => Tensor.zeros(p.shape), params) }),
  async update(updates, state, { backend }) {
    if (momentum === 0) return { updates, state: EMPTY }
    const buffer = await mapTreeAsync((b: Tensor, u: Tensor) => ops.trace(b, u, momentum, backend), state.momentum as Tree, updates)
    return { updates: buffer, state: { momentum: buffer } }
  },
})

/**
 * u ← −lr·u, with lr the schedule's value at this step (updates are added to the parameters).
 *
 * @example
 * chain(scaleByLearningRate()) // plain SGD
 */
export const scaleByLearningRate = (): Transform =>
  stateless('learningRate', async (updates, _s, { learningRate, backend }) => ({
    updates: await mapTreeAsync((u: Tensor) => ops.scale(u, -learningRate, backend), updates),
    state: EMPTY,
  }))
