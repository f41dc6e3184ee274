import { Backend } from '../backend'
import { DataRecord, Dataset, Example } from '../data/example'
import { StreamSource, isStream } from '../data/stream-source'
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
 * What evaluation adds up: counts, not rates, so the counts of disjoint shards add to the whole
 * run's exactly (`mergeCounts`). `lossSum` is a float64 sum of per-example cross-entropies.
 *
 * @example
 * const c: Counts = await evaluateCounts(o); metricsOfCounts(c).top1
 */
export interface Counts {
  readonly examples: number
  readonly top1: number
  readonly top5: number
  readonly lossSum: number
  readonly confusion: number[][]
}

/**
 * What evaluation needs: the network and its weights (more weight sets make an ensemble), the
 * data, how a record becomes its views, the batch size.
 *
 * @example
 * await evaluate({ net, params, state, dataset, views: r => prepareViews(r), batchSize: 100, classes: 10, backend })
 */
export interface EvaluateOptions {
  readonly net: Layer
  readonly params: Tree
  readonly state: Tree
  /** Further weight sets of the same network: probabilities are averaged over all of them. */
  readonly more?: readonly { readonly params: Tree; readonly state: Tree }[]
  readonly dataset: Dataset | StreamSource
  /** The views of one record, prepared for the network (one for single-crop, 10 for 10-crop...). */
  readonly views: (r: DataRecord, index: number) => Promise<readonly Example[]>
  readonly batchSize: number
  readonly classes: number
  readonly backend: Backend
  /** The dataset indices to evaluate (a shard); default every record. */
  readonly indices?: readonly number[]
  /** Groups of `batchSize` records prepared ahead of the one being evaluated (default 2). */
  readonly prefetch?: number
  /** Told after each group: records done, records in all. */
  readonly onProgress?: (done: number, total: number) => void
}

/**
 * Adds one view's probabilities to a row of log-probabilities, in log space (log(a + b) from log a
 * and log b), so a confident wrong answer's loss is its true −log p however small p is (softmax in
 * float64 underflows to 0 past a logit gap of about 745, where the loss would be clamped).
 */
const addLogSoftmax = (logits: Float32Array, offset: number, k: number, into: Float64Array, at: number) => {
  let m = -Infinity
  for (let j = 0; j < k; j++) m = Math.max(m, logits[offset + j]!)
  let s = 0
  for (let j = 0; j < k; j++) s += Math.exp(logits[offset + j]! - m)
  const norm = m + Math.log(s)
  for (let j = 0; j < k; j++) {
    const a = into[at + j]!
    const b = logits[offset + j]! - norm
    const hi = Math.max(a, b)
    into[at + j] = hi === -Infinity ? b : hi + Math.log1p(Math.exp(Math.min(a, b) - hi))
  }
}

/**
 * Empty counts for k classes.
 *
 * @example
 * const c = emptyCounts(1000)
 */
export const emptyCounts = (k: number): Counts => ({ examples: 0, top1: 0, top5: 0, lossSum: 0, confusion: Array.from({ length: k }, () => new Array<number>(k).fill(0)) })

/** Adds examples' log-probabilities (rows of k) and labels to counts, in place. */
const addTo = (c: { examples: number; top1: number; top5: number; lossSum: number; confusion: number[][] }, logProbs: Float64Array, labels: readonly number[], k: number) => {
  labels.forEach((label, i) => {
    const p = logProbs.subarray(i * k, (i + 1) * k)
    let best = 0
    for (let j = 1; j < k; j++) if (p[j]! > p[best]!) best = j
    const rank = p.reduce((n, v) => n + (v > p[label]! ? 1 : 0), 0)
    c.examples++
    c.top1 += best === label ? 1 : 0
    c.top5 += rank < 5 ? 1 : 0
    c.lossSum -= p[label]!
    c.confusion[label]![best]!++
  })
}

/**
 * Counts from probabilities (rows of k) and labels.
 *
 * @example
 * countsOf(probs, labels, 10).top1 // examples whose most probable class is the label
 */
export const countsOf = (probs: Float64Array, labels: readonly number[], k: number): Counts => {
  const c = emptyCounts(k)
  addTo(c, probs.map(p => Math.log(Math.max(p, 1e-30))), labels, k)
  return c
}

/**
 * The sum of two disjoint parts' counts (shards of one evaluation); the class counts must agree.
 *
 * @example
 * const whole = parts.reduce(mergeCounts)
 */
export const mergeCounts = (a: Counts, b: Counts): Counts => {
  if (a.confusion.length !== b.confusion.length) throw new RangeError(`merge: ${a.confusion.length} classes against ${b.confusion.length}`)
  return {
    examples: a.examples + b.examples, top1: a.top1 + b.top1, top5: a.top5 + b.top5, lossSum: a.lossSum + b.lossSum,
    confusion: a.confusion.map((row, i) => row.map((v, j) => v + b.confusion[i]![j]!)),
  }
}

/**
 * Rates from counts.
 *
 * @example
 * metricsOfCounts(await evaluateCounts(o)).top5
 */
export const metricsOfCounts = (c: Counts): Metrics => {
  const n = Math.max(1, c.examples)
  return { top1: c.top1 / n, top5: c.top5 / n, loss: c.lossSum / n, examples: c.examples, confusion: c.confusion }
}

/**
 * Top-1, top-5, cross-entropy and the confusion matrix from probabilities and labels.
 *
 * @example
 * metricsOf(probs, labels, 10).top1
 */
export const metricsOf = (probs: Float64Array, labels: readonly number[], k: number): Metrics => metricsOfCounts(countsOf(probs, labels, k))

/**
 * Streams the evaluation: records in groups of `batchSize`, each group's views prepared while the
 * group before runs (`prefetch` groups ahead), softmax probabilities averaged over views and weight
 * sets, added to the counts, and dropped. Memory is the groups in flight, whatever the number of
 * records. Views of a group share batches of exactly `batchSize` (the last padded), so evaluation
 * compiles one shape. Inference mode.
 *
 * @example
 * const counts = await evaluateCounts({ net, params, state, dataset, views, batchSize: 64, classes: 10, backend })
 */
export const evaluateCounts = async (o: EvaluateOptions): Promise<Counts> => {
  const k = o.classes
  const weights = [{ params: o.params, state: o.state }, ...(o.more ?? [])]
  const counts = emptyCounts(k)
  const read = groupReader(o)
  const started: Promise<{ labels: number[]; views: (readonly Example[])[] } | undefined>[] = []
  const ahead = o.prefetch ?? 2
  for (let g = 0; ; g++) {
    while (started.length <= ahead) {
      const p = read()
      p.catch(() => undefined)
      started.push(p)
    }
    const group = await started.shift()!
    if (!group) break
    const { labels, views } = group
    const images = views.flatMap((vs, owner) => vs.map(image => ({ image, owner })))
    const logProbs = new Float64Array(labels.length * k).fill(-Infinity)
    for (const w of weights) {
      for (let b = 0; b < images.length; b += o.batchSize) {
        const chunk = images.slice(b, b + o.batchSize)
        const valid = chunk.length
        while (chunk.length < o.batchSize) chunk.push(chunk[chunk.length - 1]!)
        const x = stack(chunk.map(c => c.image), chunk.map(c => c.owner), valid).x
        const y = (await o.net.apply(w.params, w.state, x, { training: false, key: [0, 0], backend: o.backend })()).y
        const width = y.shape[1]!
        for (let r = 0; r < valid; r++) addLogSoftmax(y.data, r * width, k, logProbs, chunk[r]!.owner * k)
      }
    }
    // the mean of the views' and models' probabilities
    views.forEach((vs, owner) => {
      const logN = Math.log(vs.length * weights.length)
      for (let j = 0; j < k; j++) logProbs[owner * k + j] -= logN
    })
    addTo(counts, logProbs, labels, k)
    o.onProgress?.(counts.examples, total(o))
  }
  return counts
}

const total = (o: EvaluateOptions): number => (isStream(o.dataset) ? o.dataset.size : (o.indices ?? { length: o.dataset.size }).length)

/**
 * Reads the next group of `batchSize` records and starts their views, in order: random-access
 * data by index (all of `indices`), a stream from its start for `size` records.
 */
const groupReader = (o: EvaluateOptions) => {
  const d = o.dataset
  let next = 0
  let tail: Promise<unknown> = Promise.resolve()
  const it = isStream(d) ? d.records(0, 0)[Symbol.asyncIterator]() : undefined
  const indices = isStream(d) ? [] : (o.indices ?? Array.from({ length: d.size }, (_, i) => i))
  const records = async (): Promise<{ record: DataRecord; index: number }[]> => {
    const n = total(o)
    const out: { record: DataRecord; index: number }[] = []
    while (out.length < o.batchSize && next < n) {
      if (it) {
        const r = await it.next()
        if (r.done) break
        out.push({ record: r.value, index: next++ })
      } else {
        const i = indices[next++]!
        out.push({ record: (d as Dataset).record(i), index: i })
      }
    }
    return out
  }
  return () => {
    const got = tail.then(records)
    tail = got.catch(() => undefined)
    return got.then(async rs => (rs.length === 0 ? undefined : {
      labels: rs.map(r => (r.record.kind === 'example' ? r.record.example.label : r.record.label)),
      views: await Promise.all(rs.map(r => o.views(r.record, r.index))),
    }))
  }
}

/**
 * evaluateCounts as rates.
 *
 * @example
 * const m = await evaluate({ net, params, state, dataset: mnist().heldOut, views: async r => [prepare(exampleOf(r))], batchSize: 100, classes: 10, backend })
 * m.top1 // in [0, 1]
 */
export const evaluate = async (o: EvaluateOptions): Promise<Metrics> => metricsOfCounts(await evaluateCounts(o))
