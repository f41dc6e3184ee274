import { Backend } from '../backend'
import { Dataset, Example } from '../data'
import { stack } from '../data/batches'
import { Layer } from '../nn'
import { Tree } from '../tree'

/**
 * Held-out metrics: top-1 and top-5 accuracy in [0, 1], mean cross-entropy, confusion[label][prediction].
 *
 * @example
 * const { top1, top5, loss, confusion }: Metrics = await evaluate(o)
 */
export interface Metrics {
  readonly top1: number
  readonly top5: number
  readonly loss: number
  readonly examples: number
  readonly confusion: number[][]
}

/**
 * What evaluation needs: the network and its weights, the data, how each example becomes views, the batch size.
 *
 * @example
 * await probabilities({ net, params, state, dataset, views: e => [prepare(e, key)], batchSize: 100, classes: 10, backend })
 */
export interface EvaluateOptions {
  readonly net: Layer
  readonly params: Tree
  readonly state: Tree
  readonly dataset: Dataset
  /** The views of one example, already prepared for the network (one for single-crop, 10 for 10-crop...). */
  readonly views: (e: Example) => readonly Example[]
  readonly batchSize: number
  readonly classes: number
  readonly backend: Backend
}

const softmaxInto = (logits: Float32Array, offset: number, k: number, into: Float64Array, at: number) => {
  let m = -Infinity
  for (let j = 0; j < k; j++) m = Math.max(m, logits[offset + j]!)
  let s = 0
  for (let j = 0; j < k; j++) s += Math.exp(logits[offset + j]! - m)
  for (let j = 0; j < k; j++) into[at + j] += Math.exp(logits[offset + j]! - m) / s
}

/**
 * Softmax probabilities per example, averaged over its views (the paper's multi-crop evaluation),
 * in inference mode. Views of consecutive examples share batches of exactly `batchSize` (the last
 * padded), so evaluation compiles one shape.
 *
 * @example
 * const p = await probabilities({ net, params, state, dataset, views: e => [prepare(e)], batchSize: 64, classes: 10, backend })
 */
export const probabilities = async (o: EvaluateOptions): Promise<Float64Array> => {
  const k = o.classes
  const out = new Float64Array(o.dataset.size * k)
  const counts = new Float64Array(o.dataset.size)
  let pending: { image: Example; owner: number }[] = []
  const flush = async () => {
    if (pending.length === 0) return
    const valid = pending.length
    while (pending.length < o.batchSize) pending.push(pending[pending.length - 1]!)
    const b = stack(pending.map(p => p.image), pending.map(p => p.owner), valid)
    const y = (await o.net.apply(o.params, o.state, b.x, { training: false, key: [0, 0], backend: o.backend })()).y
    const width = y.shape[1]!
    for (let r = 0; r < valid; r++) {
      softmaxInto(y.data, r * width, k, out, pending[r]!.owner * k)
      counts[pending[r]!.owner]++
    }
    pending = []
  }
  for (let i = 0; i < o.dataset.size; i++) {
    for (const v of o.views(o.dataset.get(i))) {
      pending.push({ image: v, owner: i })
      if (pending.length === o.batchSize) await flush()
    }
  }
  await flush()
  for (let i = 0; i < o.dataset.size; i++) for (let j = 0; j < k; j++) out[i * k + j] /= counts[i]!
  return out
}

/**
 * Top-1, top-5, cross-entropy and the confusion matrix from probabilities and labels.
 *
 * @example
 * metricsOf(probs, labels, 10).top1
 */
export const metricsOf = (probs: Float64Array, labels: readonly number[], k: number): Metrics => {
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  let top1 = 0
  let top5 = 0
  let loss = 0
  labels.forEach((label, i) => {
    const p = probs.subarray(i * k, (i + 1) * k)
    let best = 0
    for (let j = 1; j < k; j++) if (p[j]! > p[best]!) best = j
    const rank = p.reduce((n, v) => n + (v > p[label]! ? 1 : 0), 0)
    top1 += best === label ? 1 : 0
    top5 += rank < 5 ? 1 : 0
    loss -= Math.log(Math.max(p[label]!, 1e-30))
    confusion[label]![best]!++
  })
  const n = Math.max(1, labels.length)
  return { top1: top1 / n, top5: top5 / n, loss: loss / n, examples: labels.length, confusion }
}

/**
 * probabilities, then metricsOf against the dataset's labels.
 *
 * @example
 * const m = await evaluate({ net, params, state, dataset: mnist().heldOut, views: e => [prepare(e, key)], batchSize: 100, classes: 10, backend })
 * m.top1 // in [0, 1]
 */
export const evaluate = async (o: EvaluateOptions): Promise<Metrics> =>
  metricsOf(await probabilities(o), Array.from({ length: o.dataset.size }, (_, i) => o.dataset.get(i).label), o.classes)
