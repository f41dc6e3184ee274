import { Transform, chain } from './transform'
import { FusableTransform, FusedPlan } from './fused'
import { addDecayedWeights, clipByGlobalNorm, scaleByLearningRate, scaleByRms, trace } from './transforms'

/**
 * The optimizer presets by name.
 *
 * @example
 * OPTIMIZERS.includes(flag as OptimizerName)
 */
export const OPTIMIZERS = ['rmsproptf', 'rmsprop', 'sgd'] as const
/**
 * rmsproptf | rmsprop | sgd.
 *
 * @example
 * optimizerByName('rmsproptf' satisfies OptimizerName)
 */
export type OptimizerName = (typeof OPTIMIZERS)[number]

/**
 * The knobs timm's `train.py` exposes (`--opt`, `--momentum`, `--opt-eps`, `--weight-decay`, `--clip-grad`).
 *
 * @example
 * rmsproptf({ momentum: 0.9, epsilon: 1, decay: 0.9, weightDecay: 4e-5, clipGrad: 2 })
 */
export interface OptimizerOptions {
  readonly momentum?: number
  readonly epsilon?: number
  /** The RMS decay ρ (timm fixes it at 0.9 for both RMSProp flavours). */
  readonly decay?: number
  readonly weightDecay?: number
  /** Decay biases and batch-norm parameters too (TF-slim's IR-v2 scope); default: weights only. */
  readonly weightDecayAll?: boolean
  /** Clip the gradients' global norm to this before anything else (AAAI paper; Inception-v3 used 2.0). */
  readonly clipGrad?: number
}

/**
 * A preset's chain with the plan that runs it as one kernel per tensor (lib/optim/fused.ts; the
 * training step uses it, `update` stays the chain's).
 */
const fusable = (o: OptimizerOptions, t: Transform, rest: Pick<FusedPlan, 'rms' | 'lrBeforeMomentum'>): FusableTransform => ({
  ...t,
  fused: {
    ...(o.clipGrad !== undefined ? { clipGrad: o.clipGrad } : {}),
    ...(o.weightDecay ? { weightDecay: o.weightDecay } : {}),
    decayAll: !!o.weightDecayAll,
    momentum: o.momentum ?? 0.9,
    ...rest,
  },
})

/** Clipping, then coupled weight decay, as timm (clip before `optimizer.step`, decay inside it). */
const prelude = (o: OptimizerOptions): Transform[] => [
  ...(o.clipGrad !== undefined ? [clipByGlobalNorm(o.clipGrad)] : []),
  ...(o.weightDecay ? [addDecayedWeights(o.weightDecay, { all: o.weightDecayAll })] : []),
]

/**
 * The paper's optimizer (TF1's RMSPropOptimizer, timm's RMSpropTF): ms starts at 1,
 * ms ← ρ·ms + (1−ρ)·g², mom ← μ·mom + lr·g/sqrt(ms + ε), θ ← θ − mom. The learning rate sits
 * inside the momentum buffer, so a decayed rate does not rescale what the buffer already holds.
 * Defaults: ρ 0.9, μ 0.9, ε 1.0 (the paper's).
 *
 * @example
 * const opt = rmsproptf({ weightDecay: 4e-5 })
 */
export const rmsproptf = (o: OptimizerOptions = {}): FusableTransform =>
  fusable(o, chain(
    ...prelude(o),
    scaleByRms({ decay: o.decay ?? 0.9, epsilon: o.epsilon ?? 1.0, initialScale: 1, epsilonInside: true }),
    scaleByLearningRate(),
    trace(o.momentum ?? 0.9),
  ), { rms: { decay: o.decay ?? 0.9, epsilon: o.epsilon ?? 1.0, inside: true }, lrBeforeMomentum: true })

/**
 * PyTorch's torch.optim.RMSprop: v starts at 0, b ← μ·b + g/(sqrt(v) + ε), θ ← θ − lr·b (the
 * learning rate applied after momentum). Defaults: ρ 0.9 (timm's), μ 0.9, ε 1e-8 (PyTorch's).
 *
 * @example
 * const opt = rmsprop({ momentum: 0.9, epsilon: 1e-8, weightDecay: 1e-4 })
 */
export const rmsprop = (o: OptimizerOptions = {}): FusableTransform =>
  fusable(o, chain(
    ...prelude(o),
    scaleByRms({ decay: o.decay ?? 0.9, epsilon: o.epsilon ?? 1e-8, initialScale: 0, epsilonInside: false }),
    trace(o.momentum ?? 0.9),
    scaleByLearningRate(),
  ), { rms: { decay: o.decay ?? 0.9, epsilon: o.epsilon ?? 1e-8, inside: false }, lrBeforeMomentum: false })

/**
 * PyTorch's SGD with momentum (dampening 0): b ← μ·b + g, θ ← θ − lr·b. Default μ 0.9.
 *
 * @example
 * const opt = sgd({ momentum: 0.9, weightDecay: 4e-5, clipGrad: 2 })
 */
export const sgd = (o: OptimizerOptions = {}): FusableTransform =>
  fusable(o, chain(...prelude(o), trace(o.momentum ?? 0.9), scaleByLearningRate()), { lrBeforeMomentum: false })

/**
 * The optimizer a name selects.
 *
 * @example
 * const opt = optimizerByName(config.opt, { momentum: config.momentum })
 */
export const optimizerByName = (name: OptimizerName, o: OptimizerOptions = {}): FusableTransform => ({ rmsproptf, rmsprop, sgd })[name](o)
