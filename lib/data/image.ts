import { promises as fs } from 'fs'
import * as jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

/** A decoded image: RGB, row-major, values 0-255 as float32. */
export interface RgbImage {
  readonly width: number
  readonly height: number
  readonly rgb: Float32Array
}

/** Largest image we decode (a 100-megapixel guard against decompression bombs). */
const MAX_PIXELS = 100_000_000

/** Decodes a JPEG or PNG file (chosen by its magic bytes), dropping alpha. */
export const readImage = async (file: string): Promise<RgbImage> => {
  const bytes = await fs.readFile(file).catch(e => { throw new Error(`${file}: cannot read: ${(e as Error).message}`) })
  let width: number
  let height: number
  let rgba: Uint8Array
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6 })
      ;({ width, height } = img)
      rgba = img.data
    } else if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      const img = PNG.sync.read(bytes)
      ;({ width, height } = img)
      rgba = img.data
    } else {
      throw new Error('not a JPEG or PNG file')
    }
  } catch (e) {
    throw new Error(`${file}: cannot decode: ${(e as Error).message}`)
  }
  if (width * height > MAX_PIXELS) throw new Error(`${file}: ${width}×${height} is larger than ${MAX_PIXELS} pixels`)
  const rgb = new Float32Array(width * height * 3)
  for (let i = 0; i < width * height; i++) {
    rgb[3 * i] = rgba[4 * i]!
    rgb[3 * i + 1] = rgba[4 * i + 1]!
    rgb[3 * i + 2] = rgba[4 * i + 2]!
  }
  return { width, height, rgb }
}
