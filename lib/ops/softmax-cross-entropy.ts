import { Backend } from '../backend'
import { Tensor, shapeToString } from '../tensor'
import { launch, keyOf } from './internal/launch'

/**
 * Mean softmax cross-entropy of logits [N, K] against integer labels, with optional label
 * smoothing (targets (1 - ε)·onehot + ε/K, as TF-slim trains Inception). One kernel takes each
 * row's log-sum-exp (max-shifted, so large logits do not overflow); a second writes the gradient
 * (softmax - target) / N.
 */
const lseSource = `function (z) {
  const base = this.thread.x * this.constants.K;
  let m = -3.4e38;
  for (let k = 0; k < this.constants.K; k++) {
    m = Math.max(m, z[base + k]);
  }
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) {
    s += Math.exp(z[base + k] - m);
  }
  return m + Math.log(s);
}`

const gradSource = `function (z, lse, t) {
  const i = this.thread.y * this.constants.K + this.thread.x;
  return (Math.exp(z[i] - lse[this.thread.y]) - t[i]) / this.constants.N;
}`

/**
 * The mean loss, its gradient with respect to the logits, and each example's loss.
 *
 * @example
 * const { loss, dlogits, losses }: CrossEntropy = await softmaxCrossEntropy(logits, labels, 0.1, backend)
 */
export interface CrossEntropy {
  readonly loss: number
  /** d loss / d logits. */
  readonly dlogits: Tensor
  /** Per-example losses. */
  readonly losses: Float64Array
}

/**
 * Smoothed one-hot targets, (1 − ε) · onehot + ε / K, checking every label.
 *
 * @example
 * targets([2, 0], 3, 0.1) // [0.033, 0.033, 0.933, 0.933, 0.033, 0.033]
 */
export const targets = (labels: readonly number[], classes: number, smoothing = 0): Float32Array => {
  const t = new Float32Array(labels.length * classes).fill(smoothing / classes)
  labels.forEach((l, n) => {
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(`softmaxCrossEntropy: label ${n} is ${l}, expected an integer in [0, ${classes})`)
    }
    t[n * classes + l] += 1 - smoothing
  })
  return t
}

/**
 * Mean softmax cross-entropy with optional label smoothing (see the top of this file).
 *
 * @example
 * const { loss, dlogits } = await softmaxCrossEntropy(logits, [3, 1], 0.1, backend)
 */
export const softmaxCrossEntropy = async (logits: Tensor, labels: readonly number[], smoothing = 0, backend: Backend): Promise<CrossEntropy> => {
  if (logits.rank !== 2 || logits.shape[0] !== labels.length) {
    throw new RangeError(`softmaxCrossEntropy: expected logits [${labels.length}, K] for ${labels.length} labels, got ${shapeToString(logits.shape)}`)
  }
  if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`softmaxCrossEntropy: label smoothing must be in [0, 1), got ${smoothing}`)
  const [n, k] = logits.shape as [number, number]
  const t = targets(labels, k, smoothing)
  const lse = await launch(backend, { key: keyOf('lse', n, k), source: lseSource, output: [n], constants: { K: k } }, [logits.data], n)
  const grad = await launch(backend, { key: keyOf('xent.grad', n, k), source: gradSource, output: [k, n], constants: { K: k, N: n } }, [logits.data, lse, t], n * k)
  const losses = new Float64Array(n)
  for (let r = 0; r < n; r++) {
    let dot = 0
    for (let j = 0; j < k; j++) dot += t[r * k + j]! * logits.data[r * k + j]!
    losses[r] = lse[r]! - dot
  }
  return { loss: losses.reduce((a, b) => a + b, 0) / n, losses, dlogits: Tensor.adopt([n, k], grad) }
}
