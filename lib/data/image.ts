import { promises as fs } from 'fs'
import * as jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import type SharpFunction from 'sharp'
import { checkJpegData, checkPngData, readHeader } from './image-header'
import { MAX_IMAGE_BYTES, MAX_PIXELS, RgbImage } from './rgb-image'

export { imageTensor, MAX_IMAGE_BYTES, MAX_PIXELS } from './rgb-image'
export type { RgbImage } from './rgb-image'

type Sharp = typeof SharpFunction
let sharpModule: Sharp | null | undefined

/**
 * libvips through `sharp` where it loads (its npm package carries the binaries), else null: then
 * the pure-JavaScript decoders (jpeg-js, pngjs) are used, with the same checks and errors.
 * `RXCEPTION_DECODER=js` chooses them on purpose. Each call decodes one image on one libvips
 * thread with no cache: parallelism comes from the data workers, memory stays one image.
 *
 * @example
 * decoderName() // 'sharp' or 'js'
 */
export const sharpOrNull = (): Sharp | null => {
  if (sharpModule !== undefined) return sharpModule
  if (process.env.RXCEPTION_DECODER === 'js') return (sharpModule = null)
  try {
    const s = require('sharp') as Sharp
    s.concurrency(1)
    s.cache(false)
    sharpModule = s
  } catch {
    sharpModule = null
  }
  return sharpModule
}

/**
 * Which decoder this process uses: 'sharp' (libvips) or 'js' (jpeg-js and pngjs; no WebP).
 *
 * @example
 * console.log(`decoding with ${decoderName()}`)
 */
export const decoderName = (): 'sharp' | 'js' => (sharpOrNull() ? 'sharp' : 'js')

const toRgb = (src: Uint8Array, pixels: number, channels: number): Uint8Array => {
  if (channels === 3) return src
  const rgb = new Uint8Array(pixels * 3)
  const grey = channels < 3
  for (let i = 0; i < pixels; i++) {
    rgb[3 * i] = src[i * channels]!
    rgb[3 * i + 1] = src[i * channels + (grey ? 0 : 1)]!
    rgb[3 * i + 2] = src[i * channels + (grey ? 0 : 2)]!
  }
  return rgb
}

const decodeWithJs = (bytes: Buffer, format: 'png' | 'jpeg', width: number, height: number): Uint8Array => {
  const rgba = format === 'jpeg'
    ? jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 }).data
    : PNG.sync.read(bytes).data
  if (rgba.length < width * height * 4) throw new Error(`decoded ${rgba.length / 4} pixels of the ${width * height} declared`)
  return toRgb(rgba, width * height, 4)
}

const decodeWithSharp = async (s: Sharp, bytes: Buffer, width: number, height: number): Promise<Uint8Array> => {
  const { data, info } = await s(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  if (info.width !== width || info.height !== height) throw new Error(`decoded ${info.width}×${info.height}, the header declares ${width}×${height}`)
  return toRgb(data, width * height, info.channels)
}

/** The header's checks before any decoding: format, size within MAX_PIXELS, whole image data. */
const checked = (bytes: Buffer, where: string) => {
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`)
  }
  let header
  try {
    header = readHeader(bytes)
  } catch (e) {
    return fail((e as Error).message)
  }
  const { width, height, format } = header
  if (width === 0 || height === 0) fail(`declares a ${width}×${height} image`)
  if (width * height > MAX_PIXELS) fail(`declares ${width}×${height} pixels, over the ${MAX_PIXELS}-pixel limit`)
  const name = format === 'png' ? 'PNG' : format === 'jpeg' ? 'JPEG' : 'WebP'
  const failed = (e: unknown): never => {
    const m = (e as Error).message
    return fail(/^(truncated|corrupt|PNG|JPEG|WebP|decoded)/.test(m) ? m : `corrupt ${name} data (${m.split('\n')[0]})`)
  }
  try {
    if (format === 'jpeg') checkJpegData(bytes)
    if (format === 'png') checkPngData(bytes)
  } catch (e) {
    failed(e)
  }
  return { width, height, format, failed }
}

/**
 * Decodes JPEG, PNG or WebP bytes (chosen by their magic bytes) to RGB, dropping alpha and
 * replicating grey. Refused with `where` named: a declared size over MAX_PIXELS (read from the
 * header, before decoding), and truncated or short image data (never zero-filled).
 *
 * @example
 * const img = await decodeImage(await fs.readFile('cat.jpg'), 'cat.jpg')
 */
export const decodeImage = async (bytes: Buffer, where: string): Promise<RgbImage> => {
  const { width, height, format, failed } = checked(bytes, where)
  try {
    const s = sharpOrNull()
    if (s) return { width, height, rgb: await decodeWithSharp(s, bytes, width, height) }
    if (format === 'webp') throw new Error('WebP needs sharp, which did not load (npm install sharp)')
    return { width, height, rgb: decodeWithJs(bytes, format, width, height) }
  } catch (e) {
    return failed(e)
  }
}

/**
 * Decodes a region of an image straight to size × size through libvips (crop and resize in one
 * pass, libvips's own bilinear or bicubic, not PIL's bytes), with decodeImage's checks; the
 * region is chosen from the header's width and height. null where sharp did not load. Training's
 * RandomResizedCrop takes this path: `bench --mode data` measured 1.3-1.5× the images/s of decoding
 * whole and resampling in JavaScript, and a random augmentation has no reference bytes to keep.
 *
 * @example
 * const img = await decodeRegion(bytes, 'x.jpg', (h, w) => ({ top: 0, left: 0, height: h, width: w }), 299, 'bilinear')
 */
export const decodeRegion = async (
  bytes: Buffer, where: string, region: (height: number, width: number) => { top: number; left: number; height: number; width: number }, size: number, interpolation: 'bilinear' | 'bicubic',
): Promise<RgbImage | null> => {
  const s = sharpOrNull()
  if (!s) return null
  const { width, height, failed } = checked(bytes, where)
  const r = region(height, width)
  try {
    const { data, info } = await s(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .extract({ left: r.left, top: r.top, width: r.width, height: r.height })
      .resize(size, size, { fit: 'fill', kernel: interpolation === 'bicubic' ? 'cubic' : 'linear' })
      .toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
    return { width: size, height: size, rgb: toRgb(data, size * size, info.channels) }
  } catch (e) {
    return failed(e)
  }
}

/**
 * An image file's bytes, refused with the file named when it is anything but a regular file or
 * over MAX_IMAGE_BYTES (checked before a byte is read).
 *
 * @example
 * const bytes = await readImageBytes('cat.jpg')
 */
export const readImageBytes = async (file: string): Promise<Buffer> => {
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`)
  }
  const st = await fs.stat(file).catch(e => fail(`cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`))
  if (!st.isFile()) fail('not a regular file')
  if (st.size > MAX_IMAGE_BYTES) fail(`${st.size} bytes is over the ${MAX_IMAGE_BYTES}-byte limit for an image`)
  return fs.readFile(file).catch(e => fail(`cannot read: ${(e as Error).message}`))
}

/**
 * Reads and decodes an image file (readImageBytes, then decodeImage).
 *
 * @example
 * const { width, height, rgb } = await readImage('cat.jpg')
 */
export const readImage = async (file: string): Promise<RgbImage> => decodeImage(await readImageBytes(file), file)
