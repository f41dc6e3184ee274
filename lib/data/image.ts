import { promises as fs } from 'fs'
import * as jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { checkJpegData, checkPngData, readHeader } from './image-header'

/**
 * A decoded image: RGB, row-major, values 0-255 as float32.
 *
 * @example
 * const { width, height, rgb } = await readImage('cat.jpg') // rgb: 0-255, 3 values a pixel
 */
export interface RgbImage {
  readonly width: number
  readonly height: number
  readonly rgb: Float32Array
}

/**
 * Limits on what is read: files over MAX_IMAGE_BYTES and images declaring more than MAX_PIXELS are
 * refused before decoding (25 MP decodes to 100 MB of RGBA and 300 MB of float RGB).
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
 * Decodes a JPEG or PNG file (chosen by its magic bytes), dropping alpha. Refused, with the file
 * named: anything but a regular file, files over MAX_IMAGE_BYTES, a declared size over MAX_PIXELS
 * (read from the header, before decoding), and truncated or short image data (never zero-filled).
 *
 * @example
 * const { width, height, rgb } = await readImage('cat.jpg')
 */
export const readImage = async (file: string): Promise<RgbImage> => {
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`)
  }
  const st = await fs.stat(file).catch(e => fail(`cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`))
  if (!st.isFile()) fail('not a regular file')
  if (st.size > MAX_IMAGE_BYTES) fail(`${st.size} bytes is over the ${MAX_IMAGE_BYTES}-byte limit for an image`)
  const bytes = await fs.readFile(file).catch(e => fail(`cannot read: ${(e as Error).message}`))
  let header
  try {
    header = readHeader(bytes)
  } catch (e) {
    return fail((e as Error).message)
  }
  const { width, height } = header
  if (width === 0 || height === 0) fail(`declares a ${width}×${height} image`)
  if (width * height > MAX_PIXELS) fail(`declares ${width}×${height} pixels, over the ${MAX_PIXELS}-pixel limit`)
  let rgba: Uint8Array
  try {
    if (header.format === 'jpeg') {
      checkJpegData(bytes)
      rgba = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 }).data
    } else {
      checkPngData(bytes)
      rgba = PNG.sync.read(bytes).data
    }
  } catch (e) {
    const m = (e as Error).message
    return fail(/^(truncated|corrupt|PNG|JPEG)/.test(m) ? m : `corrupt ${header.format === 'png' ? 'PNG' : 'JPEG'} data (${m})`)
  }
  if (rgba.length < width * height * 4) fail(`decoded ${rgba.length / 4} pixels of the ${width * height} declared`)
  const rgb = new Float32Array(width * height * 3)
  for (let i = 0; i < width * height; i++) {
    rgb[3 * i] = rgba[4 * i]!
    rgb[3 * i + 1] = rgba[4 * i + 1]!
    rgb[3 * i + 2] = rgba[4 * i + 2]!
  }
  return { width, height, rgb }
}
