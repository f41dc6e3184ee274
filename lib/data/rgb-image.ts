import { Tensor } from '../tensor'

/**
 * A decoded image: RGB, row-major, one byte a sample (what PIL's `convert('RGB')` gives).
 *
 * @example
 * const { width, height, rgb } = await readImage('cat.jpg') // rgb: 3 bytes a pixel
 */
export interface RgbImage {
  readonly width: number
  readonly height: number
  readonly rgb: Uint8Array
}

/**
 * Limits on what is read: files over MAX_IMAGE_BYTES and images declaring more than MAX_PIXELS are
 * refused before decoding (25 MP decodes to 75 MB of RGB and 300 MB as float).
 *
 * @example
 * if (stat.size > MAX_IMAGE_BYTES) refuse()
 */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024
/**
 * The largest image decoded, in pixels (checked from the header, before decoding).
 *
 * @example
 * if (width * height > MAX_PIXELS) refuse()
 */
export const MAX_PIXELS = 25_000_000

/**
 * An image as a [height, width, 3] tensor in [0, 1].
 *
 * @example
 * const x = imageTensor(await readImage('cat.jpg'))
 */
export const imageTensor = (img: RgbImage): Tensor => {
  const out = new Float32Array(img.rgb.length)
  for (let i = 0; i < out.length; i++) out[i] = img.rgb[i]! / 255
  return Tensor.adopt([img.height, img.width, 3], out)
}
