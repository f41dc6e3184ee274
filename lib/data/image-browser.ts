import { MAX_IMAGE_BYTES, MAX_PIXELS, RgbImage } from './rgb-image'

export { imageTensor, MAX_IMAGE_BYTES, MAX_PIXELS } from './rgb-image'
export type { RgbImage } from './rgb-image'

/** What a browser decodes: an encoded image (a dropped `File`, a fetched `Blob`, its bytes) or a decoded `ImageBitmap`. */
export type ImageInput = Blob | ArrayBuffer | Uint8Array | ImageBitmap

/**
 * An image decoded by the browser itself (`createImageBitmap`: JPEG, PNG, WebP, GIF, AVIF, each
 * as the browser renders it) into the RGB bytes the preprocessing takes, read back from an
 * `OffscreenCanvas` (in a page or a Worker). No EXIF rotation, colour-space conversion or
 * premultiplication is asked for, so opaque images give the file's own bytes, as Node's decoders
 * and PIL's `convert('RGB')` do; alpha is dropped, and a canvas stores premultiplied pixels, so
 * semi-transparent ones may differ from Node's by rounding (fully transparent ones read as black).
 * The Node readers' limits apply: the file's size before decoding, its pixels after the browser
 * decoded it (the browser's decoder has limits of its own); `name` is what errors call it.
 *
 * @example
 * const img = await imageFromBlob(event.dataTransfer.files[0])
 * const x = preprocess(img, PRETRAINED_PREPROCESS['inception-resnet-v2'])
 */
export const imageFromBlob = async (input: ImageInput, name = 'image'): Promise<RgbImage> => {
  const encoded = input instanceof ArrayBuffer || input instanceof Uint8Array ? new Blob([input as BlobPart]) : input
  if (encoded instanceof Blob && encoded.size > MAX_IMAGE_BYTES) throw new Error(`${name}: ${encoded.size} bytes is over the ${MAX_IMAGE_BYTES}-byte image limit`)
  let bitmap: ImageBitmap
  try {
    bitmap = encoded instanceof Blob ? await createImageBitmap(encoded, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'none' }) : encoded
  } catch (e) {
    throw new Error(`${name}: the browser could not decode it as an image (${(e as Error).message})`)
  }
  const { width, height } = bitmap
  let rgba: Uint8ClampedArray
  try {
    if (width * height > MAX_PIXELS) throw new Error(`${name}: ${width}×${height} is over the ${MAX_PIXELS}-pixel limit`)
    const canvas = new OffscreenCanvas(width, height)
    const ctx = canvas.getContext('2d', { willReadFrequently: true })
    if (!ctx) throw new Error(`${name}: this browser gave no 2D canvas to read the image from`)
    ctx.drawImage(bitmap, 0, 0)
    rgba = ctx.getImageData(0, 0, width, height).data
  } finally {
    if (bitmap !== input) bitmap.close() // the decoded pixels, released now rather than at collection
  }
  const rgb = new Uint8Array(width * height * 3)
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!
    rgb[j + 1] = rgba[i + 1]!
    rgb[j + 2] = rgba[i + 2]!
  }
  return { width, height, rgb }
}
