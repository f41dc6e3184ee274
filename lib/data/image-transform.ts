import { Key, Tensor, bits } from '../tensor'
import { RgbImage } from './rgb-image'
import { Interpolation, cropRgb, resample } from './resample'

/**
 * The one image path of training, evaluation and prediction: timm's transforms on an 8-bit RGB
 * image, resampled as PIL does (lib/data/resample.ts), so torchvision on the same file gives the
 * same bytes. A plain object (no functions), so the data workers receive it as it is.
 *
 *  - `random-resized`: torchvision's RandomResizedCrop (area fraction in `scale`, aspect ratio in
 *    `ratio`, log-uniform; ten tries, then the centre crop of the nearest allowed ratio), resized
 *    to size × size — timm's training transform;
 *  - `centre`: shorter side to ⌊size / cropPct⌋ (the longer truncated, as torchvision's Resize),
 *    then the centre size × size, its offset rounded half to even (CenterCrop) — timm's evaluation;
 *  - `squash`: the whole image resized to size × size.
 *
 * then mirrored with probability `hflip`, reduced to `channels` (1: ITU-R 601 luma) and normalised
 * per channel: (v / 255 − mean) / std.
 *
 * @example
 * const train: ImageTransform = { size: 299, channels: 3, interpolation: 'bilinear', crop: { kind: 'random-resized', scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, hflip: 0.5, mean: [0.5], std: [0.5] }
 */
export interface ImageTransform {
  readonly size: number
  readonly channels: 1 | 3
  readonly interpolation: Interpolation
  readonly crop:
    | { readonly kind: 'random-resized'; readonly scale: readonly [number, number]; readonly ratio: readonly [number, number] }
    | { readonly kind: 'centre'; readonly cropPct: number }
    | { readonly kind: 'squash' }
  readonly hflip: number
  /** One value for every channel, or one per channel. */
  readonly mean: readonly number[]
  readonly std: readonly number[]
}

/**
 * A region of the source image: top, left, height, width.
 *
 * @example
 * const { top, left, height, width }: Region = randomResizedRegion(key, 375, 500, [0.08, 1], [0.75, 4 / 3])
 */
export interface Region {
  readonly top: number
  readonly left: number
  readonly height: number
  readonly width: number
}

/**
 * Python's round(): halves to the even neighbour (torchvision rounds crop offsets and sizes so).
 *
 * @example
 * roundHalfEven(2.5) // 2
 */
export const roundHalfEven = (v: number): number => {
  const f = Math.floor(v)
  return v - f !== 0.5 ? Math.round(v) : f % 2 === 0 ? f : f + 1
}

const uniform = (key: Key, counter: number, lo: number, hi: number): number => lo + (bits(key, counter) / 2 ** 32) * (hi - lo)
/** An integer in [lo, hi], both included (Python's random.randint). */
const integer = (key: Key, counter: number, lo: number, hi: number): number => lo + (bits(key, counter) % (hi - lo + 1))

/**
 * torchvision's RandomResizedCrop.get_params with keyed draws (counters 0-39).
 *
 * @example
 * randomResizedRegion(foldIn(stepKey, i), 375, 500, [0.08, 1], [3 / 4, 4 / 3])
 */
export const randomResizedRegion = (key: Key, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number]): Region => {
  const area = height * width
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])]
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(key, 4 * attempt, scale[0], scale[1])
    const aspect = Math.exp(uniform(key, 4 * attempt + 1, logLo, logHi))
    const w = roundHalfEven(Math.sqrt(target * aspect))
    const h = roundHalfEven(Math.sqrt(target / aspect))
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: integer(key, 4 * attempt + 2, 0, height - h), left: integer(key, 4 * attempt + 3, 0, width - w), height: h, width: w }
    }
  }
  const inRatio = width / height
  const [lo, hi] = [Math.min(...ratio), Math.max(...ratio)]
  const [h, w] = inRatio < lo ? [roundHalfEven(width / lo), width] : inRatio > hi ? [height, roundHalfEven(height * hi)] : [height, width]
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w }
}

/**
 * torchvision's Resize(side) of an h × w image: the shorter side becomes `side`, the longer
 * int(side · long / short). Returns [height, width].
 *
 * @example
 * shorterSideTo(375, 500, 341) // [341, 454]
 */
export const shorterSideTo = (h: number, w: number, side: number): [number, number] =>
  h <= w ? [side, Math.trunc((side * w) / h)] : [Math.trunc((side * h) / w), side]

/**
 * CenterCrop's offsets of a size × size window in an h × w image.
 *
 * @example
 * centreOffset(341, 454, 299) // { top: 21, left: 78 }
 */
export const centreOffset = (h: number, w: number, size: number): { top: number; left: number } => ({
  top: roundHalfEven((h - size) / 2),
  left: roundHalfEven((w - size) / 2),
})

/**
 * The shorter side timm's evaluation resizes to: ⌊size / cropPct⌋.
 *
 * @example
 * evalSide(299, 0.875) // 341
 */
export const evalSide = (size: number, cropPct: number): number => Math.floor(size / cropPct)

/**
 * The transform's geometry alone: the image resized and cropped to size × size, 8-bit.
 *
 * @example
 * const square = geometry(img, evalTransform, [0, 0])
 */
export const geometry = (img: RgbImage, t: ImageTransform, key: Key): RgbImage => {
  const { size, interpolation } = t
  if (t.crop.kind === 'squash') return resample(img, size, size, interpolation)
  if (t.crop.kind === 'random-resized') {
    const r = randomResizedRegion(key, img.height, img.width, t.crop.scale, t.crop.ratio)
    return resample(cropRgb(img, r.top, r.left, r.height, r.width), size, size, interpolation)
  }
  const [h, w] = shorterSideTo(img.height, img.width, Math.max(size, evalSide(size, t.crop.cropPct)))
  const resized = resample(img, w, h, interpolation)
  const { top, left } = centreOffset(h, w, size)
  return cropRgb(resized, top, left, size, size)
}

/**
 * An 8-bit RGB image to a normalised [h, w, channels] tensor (1 channel: ITU-R 601 luma of the
 * [0, 1] values), mirrored left-right when `mirror`.
 *
 * @example
 * normalised(square, 3, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
 */
export const normalised = (img: RgbImage, channels: 1 | 3, mean: readonly number[], std: readonly number[], mirror = false): Tensor => {
  const { width: w, height: h, rgb: src } = img
  const out = new Float32Array(w * h * channels)
  const m = (c: number) => mean[mean.length === 1 ? 0 : c]!
  const s = (c: number) => std[std.length === 1 ? 0 : c]!
  const [s0, s1, s2] = [s(0), s(1), s(2)]
  const [m0, m1, m2] = [m(0), m(1), m(2)]
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + (mirror ? w - 1 - x : x)) * 3
      const o = (y * w + x) * channels
      if (channels === 3) {
        out[o] = (src[i]! / 255 - m0) / s0
        out[o + 1] = (src[i + 1]! / 255 - m1) / s1
        out[o + 2] = (src[i + 2]! / 255 - m2) / s2
      } else {
        out[o] = (0.299 * (src[i]! / 255) + 0.587 * (src[i + 1]! / 255) + 0.114 * (src[i + 2]! / 255) - m0) / s0
      }
    }
  }
  return Tensor.adopt([h, w, channels], out)
}

/**
 * Whether the keyed flip mirrors this example (probability `hflip`).
 *
 * @example
 * normalised(square, 3, [0.5], [0.5], flips(transform, key))
 */
export const flips = (t: ImageTransform, key: Key): boolean => t.hflip > 0 && bits(key, 100) / 2 ** 32 < t.hflip

/**
 * The whole transform: geometry, keyed flip, channels, normalisation. A pure function of (image,
 * transform, key): the same example gets the same augmentation in any worker and on a resumed run.
 *
 * @example
 * const x = transformImage(await readImage('cat.jpg'), evalTransform, [0, 0]) // [299, 299, 3]
 */
export const transformImage = (img: RgbImage, t: ImageTransform, key: Key): Tensor => {
  return normalised(geometry(img, t, key), t.channels, t.mean, t.std, flips(t, key))
}
