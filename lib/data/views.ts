import { Key, Tensor } from '../tensor'
import { CropMode, cropViews, renderViews } from './crops'
import { DataRecord, Example } from './example'
import { RgbImage } from './image'
import { ImageTransform, normalised } from './image-transform'
import { Preparation, decodeRecord, prepareAnywhere } from './prepare'
import type { DataWorkers } from './workers'

/**
 * A [h, w, 1 or 3] tensor in [0, 1] as an 8-bit RGB image (grey replicated), for the views of
 * in-memory examples.
 *
 * @example
 * const img = rgbOfTensor(exampleAt(mnist().heldOut, 0).image)
 */
export const rgbOfTensor = (x: Tensor): RgbImage => {
  const [h, w, c] = x.shape as [number, number, number]
  const rgb = new Uint8Array(h * w * 3)
  for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) rgb[p * 3 + k] = Math.round(Math.min(1, Math.max(0, x.data[p * c + (c >= 3 ? k : 0)]!)) * 255)
  return { width: w, height: h, rgb }
}

/**
 * How evaluation turns a record into its views: `centre` is the preparation's own single view (in
 * the workers when given); the multi-crop modes (lib/data/crops.ts) decode once and render every
 * view with `transform`'s size, channels, interpolation and normalisation.
 *
 * @example
 * const views = recordViews({ ...prep.eval, workers }, '10', 0.875, evalTransform)
 * const images = await views(dataset.record(0))
 */
export const recordViews = (p: Preparation & { readonly workers?: DataWorkers }, mode: CropMode, cropPct: number, transform: ImageTransform, key: Key = [0, 0]) =>
  async (r: DataRecord): Promise<Example[]> => {
    if (mode === 'centre') return [await prepareAnywhere(r, p, key)]
    const img = r.kind === 'example' ? rgbOfTensor(r.example.image) : await decodeRecord(r)
    const label = r.kind === 'example' ? r.example.label : r.label
    const geometry = cropViews(img.height, img.width, transform.size, mode, cropPct)
    return renderViews(img, transform.size, geometry, transform.interpolation).map(v => ({ image: normalised(v, transform.channels, transform.mean, transform.std), label }))
  }
