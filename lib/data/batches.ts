import { Observable, Subject, concatMap, defer, from, map, startWith, takeWhile } from 'rxjs'
import { Key, Tensor, bits, foldIn } from '../tensor'
import { DataRecord, Dataset, Example, Skipped } from './example'
import { Preparation, prepareAnywhere, whereOf } from './prepare'
import { DataError } from './errors'
import { DataWorkers } from './workers'
import { StreamSource, isStream } from './stream-source'
import { streamBatchOf } from './stream-batches'

/**
 * A batch as the network takes it: images [n, h, w, c] and integer labels.
 *
 * @example
 * const { x, labels } = trainingBatch(dataset, plan, step)
 */
export interface Batch {
  readonly x: Tensor
  readonly labels: readonly number[]
  /** Dataset indices of the examples, in order (padding repeats the last). */
  readonly indices: readonly number[]
  /** How many leading examples are real (the rest pad a final partial batch). */
  readonly valid: number
}

/**
 * A keyed permutation of 0..n−1 (Fisher-Yates on the counter-based generator).
 *
 * @example
 * permutation(foldIn(key, epoch), dataset.size)
 */
export const permutation = (key: Key, n: number): number[] => {
  const p = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = bits(key, i) % (i + 1)
    ;[p[i], p[j]] = [p[j]!, p[i]!]
  }
  return p
}

/**
 * Stacks prepared examples into one batch tensor.
 *
 * @example
 * const batch = stack([e0, e1], [0, 1])
 */
export const stack = (examples: readonly Example[], indices: readonly number[], valid = examples.length): Batch => {
  const shape = examples[0]!.image.shape
  const per = examples[0]!.image.size
  const x = new Float32Array(per * examples.length)
  examples.forEach((e, i) => {
    if (e.image.size !== per) throw new RangeError(`batch: example ${indices[i]} is [${e.image.shape.join(', ')}], the first is [${shape.join(', ')}]`)
    x.set(e.image.data, i * per)
  })
  return { x: Tensor.adopt([examples.length, ...shape], x), labels: examples.map(e => e.label), indices, valid }
}

/**
 * How training reads a dataset: shuffled per epoch, the last partial batch dropped; records
 * prepared by `prepare` (in memory) or `image` (files, stream bytes; in `workers` when given), with
 * `prefetch` whole batches prepared ahead of the step that needs them.
 *
 * @example
 * const plan: EpochPlan = { batchSize: 32, key: keyFromSeed(42), shuffle: true, prepare: compose(randomCrop(2), normalize(0.5, 0.5)) }
 */
export interface EpochPlan extends Preparation {
  /** Decode and transform file and stream records in these threads (needs `image`); else on this thread. */
  readonly workers?: DataWorkers
  readonly batchSize: number
  /** The run's data key; epoch e's order is a permutation drawn from foldIn(key, e). */
  readonly key: Key
  readonly shuffle: boolean
  /** Batches prepared ahead (default 2): memory is that many batches, whatever the data. */
  readonly prefetch?: number
  /** A record that fails to decode: 'fail' (the default) stops with its name; 'skip' replaces it (see prepareBatch). */
  readonly onBad?: 'fail' | 'skip'
  /** Told of each record skipped. */
  readonly onSkip?: (s: Skipped & { readonly step: number }) => void
}

/**
 * Steps per epoch. Training drops the last partial batch so every step has the same shape (each
 * kernel is compiled once per run, and batch-norm statistics never come from a handful of images).
 *
 * @example
 * stepsPerEpoch(mnist().train, 32) // 281
 */
export const stepsPerEpoch = (d: { readonly size: number }, batchSize: number): number => Math.floor(d.size / batchSize)

/** Tries for a replacement of a bad record before the batch fails. */
const REPLACEMENT_TRIES = 10

/**
 * A batch of n records prepared, record k with key foldIn(stepKey, k). `pick(k, attempt)` names
 * the record for position k (attempt 0) and its replacements after a failure (attempt ≥ 1), with
 * the index the batch reports for it. With `onBad: 'skip'` a record that fails to decode is
 * replaced and reported through `onSkip`, so the batch is still a pure function of the step.
 *
 * @example
 * const b = await prepareRecords(2, (k, attempt) => ({ record: records[k + attempt]!, index: k }), plan, stepKey, step)
 */
export const prepareRecords = async (n: number, pick: (k: number, attempt: number) => { record: DataRecord; index: number }, plan: EpochPlan, stepKey: Key, step: number, name = 'data'): Promise<Batch> => {
  const used: number[] = []
  const examples = await Promise.all(Array.from({ length: n }, async (_, k) => {
    for (let attempt = 0; ; attempt++) {
      const { record, index } = pick(k, attempt)
      used[k] = index
      try {
        return await prepareAnywhere(record, plan, foldIn(stepKey, k))
      } catch (e) {
        const where = whereOf(record)
        const reason = (e as Error).message.replace(`${where}: `, '')
        if (plan.onBad !== 'skip') throw new DataError(`${where}: ${reason} (--on-bad-record skip leaves such records out)`)
        plan.onSkip?.({ where, reason, step })
        if (attempt + 1 >= REPLACEMENT_TRIES) throw new DataError(`${name}: ${REPLACEMENT_TRIES} records in a row failed to decode at step ${step}, the last ${where}: ${reason}`)
      }
    }
  }))
  return stack(examples, used)
}

/**
 * The prepared batch of the given dataset indices; a bad record (with `onBad: 'skip'`) is replaced
 * by a record drawn from (step key, position, try).
 *
 * @example
 * const b = await prepareBatch(dataset, plan, [3, 1, 4], foldIn(key, step), step)
 */
export const prepareBatch = (d: Dataset, plan: EpochPlan, indices: readonly number[], stepKey: Key, step: number): Promise<Batch> =>
  prepareRecords(indices.length, (k, attempt) => {
    const index = attempt === 0 ? indices[k]! : bits(foldIn(foldIn(stepKey, 0xbad), k), attempt - 1) % d.size
    return { record: d.record(index), index }
  }, plan, stepKey, step, d.name)

/**
 * The batch of global step `step`: epoch ⌊step / stepsPerEpoch⌋, position in that epoch's keyed
 * order. A pure function of (dataset, plan, step), which is what makes a resumed run read exactly
 * what the uninterrupted run would have read.
 *
 * @example
 * const b = await trainingBatch(dataset, plan, 1234) // the batch step 1234 reads, on every run
 */
export const trainingBatch = (d: Dataset, plan: EpochPlan, step: number, order = orderCache(d, plan)): Promise<Batch> => {
  const per = stepsPerEpoch(d, plan.batchSize)
  if (per === 0) throw new RangeError(`${d.name}: ${d.size} examples are fewer than one batch of ${plan.batchSize}`)
  const epoch = Math.floor(step / per)
  const perm = order(epoch)
  const start = (step % per) * plan.batchSize
  return prepareBatch(d, plan, perm.slice(start, start + plan.batchSize), foldIn(foldIn(plan.key, 0x5eed), step), step)
}

/**
 * Remembers the current epoch's permutation (one array of n indices) and the one before, which
 * the prefetch may still be reading at an epoch's end.
 *
 * @example
 * const order = orderCache(dataset, plan)
 * order(3) // epoch 3's permutation
 */
export const orderCache = (d: Dataset, plan: Pick<EpochPlan, 'key' | 'shuffle'>) => {
  const kept = new Map<number, number[]>()
  return (epoch: number): number[] => {
    let perm = kept.get(epoch)
    if (!perm) {
      perm = plan.shuffle ? permutation(foldIn(plan.key, epoch), d.size) : Array.from({ length: d.size }, (_, i) => i)
      kept.set(epoch, perm)
      for (const e of kept.keys()) if (e < epoch - 1 || e > epoch) kept.delete(e)
    }
    return perm
  }
}

/** Batch-of-step for random-access data, sharing one order cache. */
const indexedBatchOf = (d: Dataset, plan: EpochPlan) => {
  const order = orderCache(d, plan)
  return (step: number) => trainingBatch(d, plan, step, order)
}

/**
 * Batches of steps first..last−1 in order, each prepared up to `ahead` steps before it is taken:
 * `next()` starts the preparation of the following ones and waits for its own.
 *
 * @example
 * const read = prefetching(s => trainingBatch(d, plan, s), 0, 100, 2)
 * const b = await read.next()
 */
export const prefetching = (batchOf: (step: number) => Promise<Batch>, first: number, last: number, ahead: number) => {
  const started = new Map<number, Promise<Batch>>()
  let step = first
  const start = (s: number) => {
    if (s >= last || started.has(s)) return
    const p = batchOf(s)
    // a failure is reported when its step is taken, not as an unhandled rejection before
    p.catch(() => undefined)
    started.set(s, p)
  }
  return {
    next: (): Promise<Batch> | undefined => {
      if (step >= last) return undefined
      for (let s = step; s <= step + ahead; s++) start(s)
      const p = started.get(step)!
      started.delete(step++)
      return p
    },
  }
}

/**
 * Training batches from step `first` on, pulled: a batch is taken only when `demand` emits (the
 * loop signals after each step), with `plan.prefetch` (default 2) following batches prepared
 * meanwhile, so data work overlaps the step and memory stays at prefetch + 1 batches.
 * Completes after `last` (exclusive) or when `demand` completes.
 *
 * @example
 * const demand = new Subject<void>()
 * pulledBatches(dataset, plan, 0, 100, demand).subscribe(b => { step(b); demand.next() })
 */
export const pulledBatches = (d: Dataset | StreamSource, plan: EpochPlan, first: number, last: number, demand: Subject<void>): Observable<Batch> =>
  defer(() => {
    const batchOf = isStream(d) ? streamBatchOf(d, plan, first) : indexedBatchOf(d, plan)
    const read = prefetching(batchOf, first, last, plan.prefetch ?? 2)
    return demand.pipe(
      startWith(undefined),
      map(() => read.next()),
      takeWhile((p): p is Promise<Batch> => p !== undefined),
      concatMap(p => from(p)),
    )
  })
