import { imageFromBlob } from './image-browser'
import { RgbImage } from './rgb-image'

/**
 * How a record's image is decoded in a browser (Node's variant is `./decode.ts`): by the browser
 * (`createImageBitmap`); there are no files, so a file record is an error naming it.
 *
 * @example
 * const img = await decodeBytes(bytes, 'cat.jpg')
 */
export const decodeBytes = (bytes: Uint8Array, where: string): Promise<RgbImage> => imageFromBlob(bytes, where)

/** The region path is libvips's: in a browser the whole image is decoded, then cropped and resized. */
export const decodeBytesRegion = async (): Promise<RgbImage | null> => null

/** A file record in a browser: refused, naming it. */
export const readFileBytes = async (file: string): Promise<Uint8Array> => {
  throw new Error(`${file}: a browser reads no files; give the image as a bytes record (a Blob's bytes)`)
}
