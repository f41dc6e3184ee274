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
 * Where an example comes from, as the data workers receive it: an example already in memory (the
 * small-image sources: MNIST, idx, pixel records), a file, or bytes read from a stream (a tar
 * shard's member). Files and bytes are decoded only when a batch needs them.
 *
 * @example
 * const r: DataRecord = { kind: 'file', path: 'train/n01440764/x.JPEG', label: 0 }
 */
export type DataRecord =
  | { readonly kind: 'example'; readonly example: Example }
  | { readonly kind: 'file'; readonly path: string; readonly label: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly where: string; readonly label: number }

/**
 * A finite, random-access set of records. Opening a source lists its records and decodes nothing:
 * `record(i)` says where example i is and `label(i)` its label, and images are decoded when a
 * batch needs them (lib/data/prepare.ts), in the data workers. Random access is what makes
 * shuffling keyed and resuming exact: the order of epoch e is a permutation drawn from (seed, e),
 * so a data position is a step. The small-image sources (MNIST, idx files) hold their examples in
 * memory (the bundled 10,000 digits take 31 MB).
 *
 * @example
 * const tiny: Dataset = { name: 'tiny', size: 2, classes: 2, label: i => i, record: i => ({ kind: 'example', example: { image: Tensor.fill([8, 8, 1], i), label: i } }) }
 */
export interface Dataset {
  readonly name: string
  readonly size: number
  readonly classes: number
  /** Class names by index where the source has them (folder names). */
  readonly classNames?: readonly string[]
  label(index: number): number
  record(index: number): DataRecord
}

/**
 * Example i of a dataset held in memory (MNIST, idx, arrays); a RangeError for records that need decoding.
 *
 * @example
 * exampleAt(mnist().train, 0).image.shape // [28, 28, 1]
 */
export const exampleAt = (d: Dataset, i: number): Example => {
  const r = d.record(i)
  if (r.kind !== 'example') throw new RangeError(`${d.name}: record ${i} is a ${r.kind} and needs decoding (lib/data/prepare.ts)`)
  return r.example
}

/**
 * A record that was refused, with where it came from ('DIR/3/x.png', 'FILE:12', 'shard.tar:000042').
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
  label: i => examples[i]!.label,
  record: i => ({ kind: 'example', example: examples[i]! }),
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
  label: i => d.label(indices[i]!),
  record: i => d.record(indices[i]!),
})
