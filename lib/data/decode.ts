import { decodeImage, decodeRegion, readImageBytes } from './image'
import { RgbImage } from './rgb-image'

/**
 * How a record's image is decoded, Node's variant (the browser's, `./decode.browser.ts`, decodes
 * with the browser and has no files): libvips through sharp, else jpeg-js and pngjs.
 *
 * @example
 * const img = await decodeBytes(bytes, 'shard-000001.tar:n01440764_10026.JPEG')
 */
export const decodeBytes = (bytes: Uint8Array, where: string): Promise<RgbImage> => decodeImage(asBuffer(bytes), where)

/** A region decoded straight to size × size (libvips), or null where that path is not here. */
export const decodeBytesRegion = (bytes: Uint8Array, where: string, region: Parameters<typeof decodeRegion>[2], size: number, interpolation: 'bilinear' | 'bicubic'): Promise<RgbImage | null> =>
  decodeRegion(asBuffer(bytes), where, region, size, interpolation)

/** An image file's bytes, size-checked before they are read. */
export const readFileBytes = (file: string): Promise<Uint8Array> => readImageBytes(file)

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
