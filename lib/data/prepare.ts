import { Key, Tensor } from '../tensor'
import type { DataWorkers } from './workers'
import { DataRecord, Example } from './example'
import { decodeBytes, decodeBytesRegion, readFileBytes } from './decode'
import { RgbImage, imageTensor } from './rgb-image'
import { ImageTransform, flips, normalised, randomResizedRegion, transformImage } from './image-transform'
import { ExampleOp } from './transforms'

/**
 * How records become the network's examples: in-memory examples go through `prepare` (the
 * small-image operators); files and stream bytes are decoded and go through `image` (timm's
 * transforms, lib/data/image-transform.ts), or, without it, through `prepare` as [h, w, 3] tensors
 * in [0, 1].
 *
 * @example
 * const p: Preparation = { prepare: normalize(0.5, 0.5), image: evalTransform }
 */
export interface Preparation {
  readonly prepare: ExampleOp
  readonly image?: ImageTransform
}

/**
 * Where a record came from, for messages ('DIR/cls/x.jpg', 'shard-000003.tar:n01440764_10026').
 *
 * @example
 * whereOf({ kind: 'file', path: 'a.jpg', label: 0 }) // 'a.jpg'
 */
export const whereOf = (r: DataRecord): string => (r.kind === 'file' ? r.path : r.kind === 'bytes' ? r.where : 'in-memory example')

/**
 * A record's image, decoded (files are size-checked before they are read).
 *
 * @example
 * const img = await decodeRecord({ kind: 'file', path: 'cat.jpg', label: 0 })
 */
export const decodeRecord = async (r: Exclude<DataRecord, { kind: 'example' }>): Promise<RgbImage> => decodeBytes(await bytesOf(r), whereOf(r))

/** A record's encoded bytes (files are size-checked before they are read). */
const bytesOf = (r: Exclude<DataRecord, { kind: 'example' }>): Promise<Uint8Array> =>
  r.kind === 'bytes' ? Promise.resolve(r.bytes) : readFileBytes(r.path)

/**
 * Counts of decodes in this thread (tests check that opening a source decodes nothing).
 *
 * @example
 * const before = decodeCounter.images
 */
export const decodeCounter = { images: 0 }

/**
 * One record prepared in this thread.
 *
 * @example
 * const e = await prepareRecord(dataset.record(i), { prepare, image }, foldIn(stepKey, k))
 */
export const prepareRecord = async (r: DataRecord, p: Preparation, key: Key): Promise<Example> => {
  if (r.kind === 'example') return p.prepare(r.example, key)
  decodeCounter.images++
  const t = p.image
  if (t?.crop.kind === 'random-resized') {
    const { scale, ratio } = t.crop
    const square = await decodeBytesRegion(await bytesOf(r), whereOf(r), (h, w) => randomResizedRegion(key, h, w, scale, ratio), t.size, t.interpolation)
    if (square) return { image: normalised(square, t.channels, t.mean, t.std, flips(t, key)), label: r.label }
  }
  const img = await decodeRecord(r)
  if (t) return { image: transformImage(img, t, key), label: r.label }
  return p.prepare({ image: imageTensor(img), label: r.label }, key)
}

/**
 * One record prepared in `p.workers` when it is a file or stream bytes and an image transform is
 * given, else on this thread (the same functions either way).
 *
 * @example
 * const e = await prepareAnywhere(dataset.record(i), { prepare, image, workers }, key)
 */
export const prepareAnywhere = async (r: DataRecord, p: Preparation & { readonly workers?: DataWorkers }, key: Key): Promise<Example> => {
  if (r.kind === 'example' || !p.workers || !p.image) return prepareRecord(r, p, key)
  const { size, channels } = p.image
  return { image: Tensor.adopt([size, size, channels], await p.workers.prepare(r, p.image, key)), label: r.label }
}
