import { Tensor } from '../tensor'

/**
 * One labelled image: `image` is [height, width, channels] with values in [0, 1] as read from disk.
 *
 * @example
 * const e: Example = { image: Tensor.fill([28, 28, 1], 0.5), label: 3 }
 */
export interface Example {
  readonly image: Tensor
  readonly label: number
}

/**
 * A finite, random-access set of examples, decoded into memory when opened (MNIST-scale data: the
 * bundled 10,000 digits take 31 MB). Random access is what makes shuffling keyed and resuming
 * exact: the order of epoch e is a permutation drawn from (seed, e), so a data position is a step.
 *
 * @example
 * const tiny: Dataset = { name: 'tiny', size: 2, classes: 2, get: i => ({ image: Tensor.fill([8, 8, 1], i), label: i }) }
 */
export interface Dataset {
  readonly name: string
  readonly size: number
  readonly classes: number
  /** Class names by index where the source has them (folder names). */
  readonly classNames?: readonly string[]
  get(index: number): Example
}

/**
 * A record the loader refused, with where it came from ('DIR/3/x.png', 'FILE:12').
 *
 * @example
 * for (const s of loaded.skipped) console.error(`${s.where}: ${s.reason}`)
 */
export interface Skipped {
  readonly where: string
  readonly reason: string
}

/**
 * What opening a source gives: the examples and the records that were skipped.
 *
 * @example
 * const { dataset, skipped } = await openSource('folder:digits', { onBad: 'skip' })
 */
export interface Loaded {
  readonly dataset: Dataset
  readonly skipped: readonly Skipped[]
}

/**
 * A dataset over an array of examples.
 *
 * @example
 * const d = arrayDataset('mine', [{ image: Tensor.zeros([8, 8, 1]), label: 0 }], 2)
 */
export const arrayDataset = (name: string, examples: readonly Example[], classes?: number, classNames?: readonly string[]): Dataset => ({
  name,
  size: examples.length,
  classes: classes ?? examples.reduce((m, e) => Math.max(m, e.label + 1), 0),
  ...(classNames ? { classNames } : {}),
  get: i => examples[i]!,
})

/**
 * The examples at the given indices (a split).
 *
 * @example
 * const firstHundred = subset(d, 'first 100', Array.from({ length: 100 }, (_, i) => i))
 */
export const subset = (d: Dataset, name: string, indices: readonly number[]): Dataset => ({
  name,
  size: indices.length,
  classes: d.classes,
  ...(d.classNames ? { classNames: d.classNames } : {}),
  get: i => d.get(indices[i]!),
})
