import { RgbImage } from './rgb-image'

/**
 * Image resampling as PIL does it for 8-bit images (Pillow's `Resample.c`), so that a transform
 * here gives torchvision's bytes: a separable filter, widened by the scale factor when shrinking
 * (which antialiases), coefficients normalised per output sample and held in 22-bit fixed point,
 * the horizontal pass first into an 8-bit image, then the vertical one; each pass rounds and clips
 * to 0-255. A pass whose size does not change is skipped, as in PIL.
 */

/**
 * bilinear | bicubic: PIL's triangle filter (support 1) and Keys' cubic with a = −0.5 (support 2).
 *
 * @example
 * resample(img, 299, 299, 'bicubic' satisfies Interpolation)
 */
export type Interpolation = 'bilinear' | 'bicubic'

/**
 * The names --interpolation accepts.
 *
 * @example
 * INTERPOLATIONS.includes(flag as Interpolation)
 */
export const INTERPOLATIONS = ['bilinear', 'bicubic'] as const

const FILTERS: Record<Interpolation, { support: number; f: (x: number) => number }> = {
  bilinear: { support: 1, f: x => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    support: 2,
    f: x => {
      const a = -0.5
      x = Math.abs(x)
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a
      return 0
    },
  },
}

const PRECISION_BITS = 32 - 8 - 2

/** Per output sample: the first input index and the fixed-point weights (Pillow's precompute_coeffs and normalize_coeffs_8bpc). */
const coefficients = (inSize: number, outSize: number, filter: Interpolation): { first: Int32Array; count: Int32Array; weights: Int32Array; taps: number } => {
  const { support: base, f } = FILTERS[filter]
  const scale = inSize / outSize
  const filterscale = Math.max(scale, 1)
  const support = base * filterscale
  const taps = Math.ceil(support) * 2 + 1
  const first = new Int32Array(outSize)
  const count = new Int32Array(outSize)
  const weights = new Int32Array(outSize * taps)
  const k = new Float64Array(taps)
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale
    const ss = 1 / filterscale
    // C's (int) truncates toward zero
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0)
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin
    let ww = 0
    for (let x = 0; x < n; x++) {
      k[x] = f((x + xmin - center + 0.5) * ss)
      ww += k[x]!
    }
    first[xx] = xmin
    count[xx] = n
    for (let x = 0; x < n; x++) {
      const w = ww === 0 ? 0 : k[x]! / ww
      weights[xx * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS))
    }
  }
  return { first, count, weights, taps }
}

const clip8 = (v: number): number => {
  const r = Math.floor(v / (1 << PRECISION_BITS))
  return r < 0 ? 0 : r > 255 ? 255 : r
}

const horizontal = (img: RgbImage, outW: number, filter: Interpolation): RgbImage => {
  const { first, count, weights, taps } = coefficients(img.width, outW, filter)
  const out = new Uint8Array(outW * img.height * 3)
  const src = img.rgb
  const half = 1 << (PRECISION_BITS - 1)
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width * 3
    for (let x = 0; x < outW; x++) {
      let r = half
      let g = half
      let b = half
      const base = row + first[x]! * 3
      for (let k = 0; k < count[x]!; k++) {
        const w = weights[x * taps + k]!
        r += src[base + 3 * k]! * w
        g += src[base + 3 * k + 1]! * w
        b += src[base + 3 * k + 2]! * w
      }
      const o = (y * outW + x) * 3
      out[o] = clip8(r)
      out[o + 1] = clip8(g)
      out[o + 2] = clip8(b)
    }
  }
  return { width: outW, height: img.height, rgb: out }
}

const vertical = (img: RgbImage, outH: number, filter: Interpolation): RgbImage => {
  const { first, count, weights, taps } = coefficients(img.height, outH, filter)
  const w3 = img.width * 3
  const out = new Uint8Array(w3 * outH)
  const src = img.rgb
  const half = 1 << (PRECISION_BITS - 1)
  const acc = new Float64Array(w3)
  for (let y = 0; y < outH; y++) {
    acc.fill(half)
    for (let k = 0; k < count[y]!; k++) {
      const w = weights[y * taps + k]!
      const row = (first[y]! + k) * w3
      for (let i = 0; i < w3; i++) acc[i] += src[row + i]! * w
    }
    for (let i = 0; i < w3; i++) out[y * w3 + i] = clip8(acc[i]!)
  }
  return { width: img.width, height: outH, rgb: out }
}

/**
 * PIL's `Image.resize((width, height), filter)` of an 8-bit RGB image.
 *
 * @example
 * const small = resample(img, 341, 455, 'bicubic')
 */
export const resample = (img: RgbImage, width: number, height: number, filter: Interpolation): RgbImage => {
  const h = width === img.width ? img : horizontal(img, width, filter)
  return height === img.height ? h : vertical(h, height, filter)
}

/**
 * PIL's `Image.crop((left, top, left + width, top + height))` of a region inside the image.
 *
 * @example
 * const square = cropRgb(img, 21, 78, 299, 299)
 */
export const cropRgb = (img: RgbImage, top: number, left: number, height: number, width: number): RgbImage => {
  if (top < 0 || left < 0 || top + height > img.height || left + width > img.width) {
    throw new RangeError(`crop: ${width}×${height} at (${left}, ${top}) is outside the ${img.width}×${img.height} image`)
  }
  if (top === 0 && left === 0 && width === img.width && height === img.height) return img
  const rgb = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) rgb.set(img.rgb.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + width) * 3), y * width * 3)
  return { width, height, rgb }
}

/**
 * Left-right mirror (PIL's FLIP_LEFT_RIGHT).
 *
 * @example
 * const flipped = mirrorRgb(img)
 */
export const mirrorRgb = (img: RgbImage): RgbImage => {
  const rgb = new Uint8Array(img.rgb.length)
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + (img.width - 1 - x)) * 3
      const d = (y * img.width + x) * 3
      rgb[d] = img.rgb[s]!
      rgb[d + 1] = img.rgb[s + 1]!
      rgb[d + 2] = img.rgb[s + 2]!
    }
  }
  return { width: img.width, height: img.height, rgb }
}
