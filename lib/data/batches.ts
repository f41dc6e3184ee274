import { Observable, Subject, concatMap, defer, of, startWith, takeWhile } from 'rxjs'
import { Key, Tensor, bits, foldIn } from '../tensor'
import { Dataset, Example } from './example'
import { ExampleOp } from './transforms'

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
 * How training reads a dataset: shuffled per epoch, the last partial batch dropped.
 *
 * @example
 * const plan: EpochPlan = { batchSize: 32, key: keyFromSeed(42), shuffle: true, prepare: compose(randomCrop(2), normalize(0.5, 0.5)) }
 */
export interface EpochPlan {
  readonly batchSize: number
  /** The run's data key; epoch e's order is a permutation drawn from foldIn(key, e). */
  readonly key: Key
  readonly shuffle: boolean
  readonly prepare: ExampleOp
}

/**
 * Steps per epoch. Training drops the last partial batch so every step has the same shape (each
 * kernel is compiled once per run, and batch-norm statistics never come from a handful of images).
 *
 * @example
 * stepsPerEpoch(mnist().train, 32) // 281
 */
export const stepsPerEpoch = (d: Dataset, batchSize: number): number => Math.floor(d.size / batchSize)

/**
 * The batch of global step `step`: epoch ⌊step / stepsPerEpoch⌋, position in that epoch's keyed
 * order. A pure function of (dataset, plan, step), which is what makes a resumed run read exactly
 * what the uninterrupted run would have read.
 *
 * @example
 * const b = trainingBatch(dataset, plan, 1234) // the batch step 1234 reads, on every run
 */
export const trainingBatch = (d: Dataset, plan: EpochPlan, step: number, order = orderCache(d, plan)): Batch => {
  const per = stepsPerEpoch(d, plan.batchSize)
  if (per === 0) throw new RangeError(`${d.name}: ${d.size} examples are fewer than one batch of ${plan.batchSize}`)
  const epoch = Math.floor(step / per)
  const perm = order(epoch)
  const start = (step % per) * plan.batchSize
  const indices = perm.slice(start, start + plan.batchSize)
  const stepKey = foldIn(foldIn(plan.key, 0x5eed), step)
  return stack(indices.map((i, k) => plan.prepare(d.get(i), foldIn(stepKey, k))), indices)
}

/**
 * Remembers the current epoch's permutation (one array of n indices).
 *
 * @example
 * const order = orderCache(dataset, plan)
 * order(3) // epoch 3's permutation
 */
export const orderCache = (d: Dataset, plan: EpochPlan) => {
  let last: { epoch: number; perm: number[] } | undefined
  return (epoch: number): number[] => {
    if (last?.epoch !== epoch) {
      last = { epoch, perm: plan.shuffle ? permutation(foldIn(plan.key, epoch), d.size) : Array.from({ length: d.size }, (_, i) => i) }
    }
    return last.perm
  }
}

/**
 * Training batches from step `first` on, pulled: a batch is assembled only when `demand` emits
 * (the loop signals after each step), so a source faster than the model buffers at most one batch.
 * Completes after `last` (exclusive) or when `demand` completes.
 *
 * @example
 * const demand = new Subject<void>()
 * pulledBatches(dataset, plan, 0, 100, demand).subscribe(b => { step(b); demand.next() })
 */
export const pulledBatches = (d: Dataset, plan: EpochPlan, first: number, last: number, demand: Subject<void>): Observable<Batch> =>
  defer(() => {
    const order = orderCache(d, plan)
    let step = first
    return demand.pipe(
      startWith(undefined),
      takeWhile(() => step < last),
      concatMap(() => of(trainingBatch(d, plan, step++, order))),
    )
  })
