import { inflateSync } from 'zlib'

/**
 * What an image file declares before anything is decoded: its format and size, read from the PNG
 * IHDR chunk or the JPEG frame header, so a decompression bomb is refused before a byte of pixels
 * is allocated. For PNG, also whether the compressed data really holds every row it declares.
 */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg' | 'webp'
  readonly width: number
  readonly height: number
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Samples per pixel by PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

export const readHeader = (bytes: Buffer): ImageHeader => {
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    if (bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without an IHDR chunk first')
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return { format: 'jpeg', ...jpegSize(bytes) }
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return { format: 'webp', ...webpSize(bytes) }
  throw new Error('not a JPEG, PNG or WebP file')
}

/** The canvas size from a WebP file's first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended). */
const webpSize = (b: Buffer): { width: number; height: number } => {
  const chunk = b.length >= 16 ? b.toString('latin1', 12, 16) : ''
  if (chunk === 'VP8 ' && b.length >= 30) return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff }
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21)
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X' && b.length >= 30) return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 }
  throw new Error('truncated or corrupt WebP: no VP8, VP8L or VP8X chunk header')
}

/** Walks JPEG markers to the first start-of-frame (SOF0-SOF15 but DHT, JPG and DAC). */
const jpegSize = (b: Buffer): { width: number; height: number } => {
  let i = 2
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new Error(`corrupt JPEG: expected a marker at byte ${i}`)
    const marker = b[i + 1]!
    if (marker === 0xff) {
      i++
      continue
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2
      continue
    }
    const length = b.readUInt16BE(i + 2)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) break
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) }
    }
    if (marker === 0xda || marker === 0xd9) break
    i += 2 + length
  }
  throw new Error('truncated or corrupt JPEG: no frame header before the image data')
}

/** Bytes of filtered scanlines a PNG's IDAT data must inflate to (Adam7: the seven passes). */
const pngDataBytes = (width: number, height: number, bitDepth: number, colourType: number, interlaced: boolean): number => {
  const samples = SAMPLES[colourType]
  if (samples === undefined) throw new Error(`PNG colour type ${colourType} is not valid`)
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * samples * bitDepth) / 8)) : 0)
  if (!interlaced) return rows(width, height)
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const
  return passes.reduce((s, [x0, y0, dx, dy]) => s + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0)
}

/**
 * Checks that a PNG's chunks are whole and its IDAT data inflates to every declared row (a file
 * cut short decodes, in pngjs, to rows of zeros). Inflation stops one byte past the expected size.
 */
export const checkPngData = (bytes: Buffer): void => {
  const width = bytes.readUInt32BE(16)
  const height = bytes.readUInt32BE(20)
  const expected = pngDataBytes(width, height, bytes[24]!, bytes[25]!, bytes[28] === 1)
  const idat: Buffer[] = []
  let i = 8
  let ended = false
  while (i + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(i)
    const type = bytes.toString('latin1', i + 4, i + 8)
    if (i + 12 + length > bytes.length) throw new Error(`truncated PNG: chunk '${type}' at byte ${i} needs ${length} bytes, the file ends first`)
    if (type === 'IDAT') idat.push(bytes.subarray(i + 8, i + 8 + length))
    i += 12 + length
    if (type === 'IEND') {
      ended = true
      break
    }
  }
  if (!ended) throw new Error('truncated PNG: no IEND chunk')
  let data: Buffer
  try {
    data = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1, finishFlush: 2 /* Z_SYNC_FLUSH: keep what a cut stream holds */ })
  } catch (e) {
    // more than the declared rows: not short (pngjs reads what it needs)
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return
    throw new Error(`corrupt PNG image data (${(e as Error).message})`)
  }
  if (data.length < expected) throw new Error(`PNG image data is short: ${data.length} of the ${expected} bytes its ${width}×${height} size needs`)
}

/** JPEG data must reach an end-of-image marker (a file cut short decodes to grey blocks). */
export const checkJpegData = (bytes: Buffer): void => {
  if (bytes.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0) throw new Error('truncated JPEG: no end-of-image marker')
}
