import { Backend } from '../backend'
import { Tensor, shapeToString } from '../tensor'
import { CHANNEL_AFFINE, CHANNEL_AFFINE2, CHANNEL_AFFINE2_MASKED, CHANNEL_AFFINE_RELU, mapChannels } from './elementwise'
import { channelMoments, reduceRowsAll } from './internal/reduce'

/**
 * Batch normalisation over the last (channel) axis. Training uses the batch's mean and biased
 * variance and returns updated running statistics, `running ← decay · running + (1 - decay) · batch`
 * (TF's convention; the running variance takes the batch variance unbiased, as TF-slim and PyTorch do).
 * Inference uses the running statistics. Gamma is optional (TF-slim's Inception-ResNet-v2 has none).
 *
 * @example
 * const opts: BatchNormOptions = { epsilon: 1e-3, decay: 0.9, relu: true }
 */
export interface BatchNormOptions {
  readonly epsilon?: number
  readonly decay?: number
  /** Fused epilogue: max(0, y). */
  readonly relu?: boolean
}

/**
 * Batch norm's learned parameters: optional gamma (scale) and beta (shift), one per channel.
 *
 * @example
 * const p: BatchNormParams = { gamma: Tensor.ones([c]), beta: Tensor.zeros([c]) } // gamma optional
 */
export interface BatchNormParams {
  readonly gamma?: Tensor
  readonly beta: Tensor
}

/**
 * Running mean and variance per channel, used in inference.
 *
 * @example
 * const running: RunningStats = { mean: Tensor.zeros([c]), variance: Tensor.ones([c]) }
 */
export interface RunningStats {
  readonly mean: Tensor
  readonly variance: Tensor
}

/**
 * What training-mode batch norm gives: the output, the batch statistics the backward pass needs,
 * and the updated running statistics.
 *
 * @example
 * const { y, running } = await batchNormTraining(x, p, running0, {}, backend)
 */
export interface BatchNormTraining {
  readonly y: Tensor
  /** What the backward pass needs: the batch mean and 1/sqrt(var + eps) per channel. */
  readonly mean: Float32Array
  readonly invStd: Float32Array
  readonly running: RunningStats
}

/**
 * Batch-norm epsilon of TF-slim, Keras and timm for these networks (1e-3).
 *
 * @example
 * batchNormTraining(x, p, running, { epsilon: DEFAULT_EPSILON }, backend)
 */
export const DEFAULT_EPSILON = 1e-3
/**
 * TF-slim's running-average decay (0.9997; PyTorch's momentum 0.0003).
 *
 * @example
 * batchNormTraining(x, p, running, { decay: 1 - 0.1 }, backend) // PyTorch momentum 0.1
 */
export const DEFAULT_DECAY = 0.9997

const check = (x: Tensor, p: BatchNormParams, what: string): number => {
  const c = x.shape[x.rank - 1]!
  for (const [name, t] of [['beta', p.beta], ['gamma', p.gamma]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) {
      throw new RangeError(`${what}: ${name} must be [${c}] for input ${shapeToString(x.shape)}, got ${shapeToString(t.shape)}`)
    }
  }
  return c
}

/** Folds (gamma, beta, mean, invStd) into y = x · scale + shift. */
const fold = (p: BatchNormParams, mean: ArrayLike<number>, invStd: ArrayLike<number>, c: number) => {
  const scale = new Float32Array(c)
  const shift = new Float32Array(c)
  for (let k = 0; k < c; k++) {
    scale[k] = (p.gamma ? p.gamma.data[k]! : 1) * invStd[k]!
    shift[k] = p.beta.data[k]! - mean[k]! * scale[k]!
  }
  return { scale, shift }
}

/**
 * Inference-mode batch norm as a per-channel affine map y = scale · x + shift (what a convolution
 * before it can absorb: its filter times scale, its bias shift).
 *
 * @example
 * const { scale, shift } = inferenceAffine({ gamma, beta }, { mean, variance }, 1e-3)
 */
export const inferenceAffine = (p: BatchNormParams, running: RunningStats, epsilon = DEFAULT_EPSILON): { scale: Float32Array; shift: Float32Array } => {
  const c = p.beta.size
  if (running.mean.size !== c || running.variance.size !== c || (p.gamma && p.gamma.size !== c)) {
    throw new RangeError(`batchNorm: beta has ${c} channels but gamma/running statistics have ${p.gamma?.size ?? c}/${running.mean.size}/${running.variance.size}`)
  }
  const invStd = running.variance.data.map(v => 1 / Math.sqrt(v + epsilon))
  return fold(p, running.mean.data, invStd, c)
}

/**
 * Inference-mode batch norm: (x − running mean) / sqrt(running variance + ε) · gamma + beta, optionally ReLU.
 *
 * @example
 * const y = await batchNormInference(x, { beta }, running, { relu: true }, backend)
 */
export const batchNormInference = async (x: Tensor, p: BatchNormParams, running: RunningStats, opts: BatchNormOptions = {}, be: Backend): Promise<Tensor> => {
  check(x, p, 'batchNorm')
  const { scale, shift } = inferenceAffine(p, running, opts.epsilon)
  return mapChannels(opts.relu ? CHANNEL_AFFINE_RELU : CHANNEL_AFFINE, x, { u: scale, v: shift }, be)
}

/**
 * Training-mode batch norm with the batch's statistics; returns the output, what the backward pass needs and the updated running statistics.
 *
 * @example
 * const r = await batchNormTraining(x, { gamma, beta }, running, { decay: 0.9 }, backend)
 * const g = await batchNormTrainingGrad(x, dy, { gamma, beta }, r, backend)
 */
export const batchNormTraining = async (x: Tensor, p: BatchNormParams, running: RunningStats, opts: BatchNormOptions = {}, backend: Backend): Promise<BatchNormTraining> => {
  const c = check(x, p, 'batchNorm')
  const eps = opts.epsilon ?? DEFAULT_EPSILON
  const decay = opts.decay ?? DEFAULT_DECAY
  const m = x.size / c
  const moments = await channelMoments(x.data, c, backend)
  const mean = Float32Array.from(moments.mean)
  const variance = Float64Array.from(moments.m2, s => s / m)
  const invStd = Float32Array.from(variance, v => 1 / Math.sqrt(v + eps))
  const { scale, shift } = fold(p, mean, invStd, c)
  const y = await mapChannels(opts.relu ? CHANNEL_AFFINE_RELU : CHANNEL_AFFINE, x, { u: scale, v: shift }, backend)
  const unbiased = m > 1 ? m / (m - 1) : 1
  const runningOut: RunningStats = {
    mean: Tensor.adopt([c], running.mean.data.map((r, k) => decay * r + (1 - decay) * mean[k]!)),
    variance: Tensor.adopt([c], running.variance.data.map((r, k) => decay * r + (1 - decay) * variance[k]! * unbiased)),
  }
  return { y, mean, invStd, running: runningOut }
}

/**
 * Gradients of batch norm: input, and gamma when present, and beta.
 *
 * @example
 * const { dx, dgamma, dbeta }: BatchNormGrads = await batchNormTrainingGrad(x, dy, p, r, backend)
 */
export interface BatchNormGrads {
  readonly dx: Tensor
  readonly dgamma?: Tensor
  readonly dbeta: Tensor
}

/**
 * Training-mode gradient (the ReLU, if fused, must already be applied to dy). With x̂ = (x - μ)·σ⁻¹,
 * dβ = Σ dy, dγ = Σ dy·x̂ and dx = γσ⁻¹ (dy - dβ/M - x̂ dγ/M), expanded to dy·k + x·u + v per channel.
 *
 * @example
 * const { dx, dgamma, dbeta } = await batchNormTrainingGrad(x, dy, p, r, backend)
 */
export const batchNormTrainingGrad = async (
  x: Tensor, dy: Tensor, p: BatchNormParams, saved: Pick<BatchNormTraining, 'mean' | 'invStd'>, backend: Backend, reluOutput?: Tensor,
): Promise<BatchNormGrads> => {
  const c = check(x, p, 'batchNorm gradient')
  const m = x.size / c
  // both sums in one pass; through a fused ReLU (its output given) dy is masked inside the kernels,
  // the same products reluGrad then the unfused kernels would form
  const [dbeta, dyDev] = reluOutput
    ? await reduceRowsAll('maskedGradSums', dy.data, c, { b: x.data, t: reluOutput.data, m: saved.mean }, backend)
    : await reduceRowsAll('gradSums', dy.data, c, { b: x.data, m: saved.mean }, backend)
  const dgamma = Float64Array.from(dyDev!, (s, k) => s * saved.invStd[k]!)
  const k = new Float32Array(c)
  const u = new Float32Array(c)
  const v = new Float32Array(c)
  for (let j = 0; j < c; j++) {
    const g = p.gamma ? p.gamma.data[j]! : 1
    const is = saved.invStd[j]!
    k[j] = g * is
    u[j] = (-g * is * is * dgamma[j]!) / m
    v[j] = (-g * is * dbeta[j]!) / m - u[j]! * saved.mean[j]!
  }
  const dx = reluOutput
    ? await mapChannels(CHANNEL_AFFINE2_MASKED, dy, { b: x, t: reluOutput, u: k, v: u, w: v }, backend)
    : await mapChannels(CHANNEL_AFFINE2, dy, { b: x, u: k, v: u, w: v }, backend)
  return { dx, dbeta: Tensor.adopt([c], Float32Array.from(dbeta!)), ...(p.gamma ? { dgamma: Tensor.adopt([c], Float32Array.from(dgamma)) } : {}) }
}

/**
 * Inference-mode gradient (frozen statistics): dx = dy · γσ⁻¹, plus the parameter gradients.
 *
 * @example
 * const { dx, dbeta } = await batchNormInferenceGrad(x, dy, { beta }, running, {}, backend)
 */
export const batchNormInferenceGrad = async (x: Tensor, dy: Tensor, p: BatchNormParams, running: RunningStats, opts: BatchNormOptions = {}, backend: Backend): Promise<BatchNormGrads> => {
  const c = check(x, p, 'batchNorm gradient')
  const eps = opts.epsilon ?? DEFAULT_EPSILON
  const invStd = running.variance.data.map(v => 1 / Math.sqrt(v + eps))
  const { scale } = fold(p, running.mean.data, invStd, c)
  const [dbeta, dyDev] = await reduceRowsAll('gradSums', dy.data, c, { b: x.data, m: running.mean.data }, backend)
  const dx = await mapChannels(CHANNEL_AFFINE, dy, { u: scale, v: new Float32Array(c) }, backend)
  return {
    dx,
    dbeta: Tensor.adopt([c], Float32Array.from(dbeta!)),
    ...(p.gamma ? { dgamma: Tensor.adopt([c], Float32Array.from(dyDev!, (s, k) => s * invStd[k]!)) } : {}),
  }
}
