import { Key, Tensor, bits, foldIn } from '../tensor'
import { Example } from './example'

/**
 * Per-example operators on [h, w, c] images. Each is a pure function; the random ones take a key,
 * so the same (seed, step, example) gives the same augmentation on a resumed run.
 *
 * @example
 * const invert: ExampleOp = e => ({ ...e, image: Tensor.adopt(e.image.shape, e.image.data.map(v => 1 - v)) })
 */
export type ExampleOp = (e: Example, key: Key) => Example

const withImage = (e: Example, image: Tensor): Example => ({ image, label: e.label })

/** ITU-R 601 luma, as PIL's convert('L'). */
const LUMA = [0.299, 0.587, 0.114]

/**
 * To `channels` (1: luminance, 3: RGB); alpha is dropped, grey is replicated.
 *
 * @example
 * toChannels(1)(rgbExample, key) // luminance
 */
export const toChannels = (channels: 1 | 3): ExampleOp => e => {
  const [h, w, c] = e.image.shape as [number, number, number]
  if (c === channels) return e
  const src = e.image.data
  const out = new Float32Array(h * w * channels)
  for (let p = 0; p < h * w; p++) {
    if (channels === 1) out[p] = c >= 3 ? LUMA[0]! * src[p * c]! + LUMA[1]! * src[p * c + 1]! + LUMA[2]! * src[p * c + 2]! : src[p * c]!
    else for (let k = 0; k < 3; k++) out[p * 3 + k] = c >= 3 ? src[p * c + k]! : src[p * c]!
  }
  return withImage(e, Tensor.adopt([h, w, channels], out))
}

/**
 * Bilinear resize to outH × outW (half-pixel centres, edges clamped); the identity at equal size.
 *
 * @example
 * const r = resizeTo(image, 342, 456)
 */
export const resizeTo = (image: Tensor, outH: number, outW: number): Tensor => {
  const [h, w, c] = image.shape as [number, number, number]
  if (h === outH && w === outW) return image
  const src = image.data
  const out = new Float32Array(outH * outW * c)
  const axis = (n: number, size: number) => Array.from({ length: size }, (_, o) => {
    const x = Math.min(Math.max(((o + 0.5) * n) / size - 0.5, 0), n - 1)
    const lo = Math.floor(x)
    return { lo, hi: Math.min(lo + 1, n - 1), f: x - lo }
  })
  const ys = axis(h, outH)
  const xs = axis(w, outW)
  for (let oy = 0; oy < outH; oy++) {
    const { lo: y0, hi: y1, f: fy } = ys[oy]!
    for (let ox = 0; ox < outW; ox++) {
      const { lo: x0, hi: x1, f: fx } = xs[ox]!
      for (let k = 0; k < c; k++) {
        const v = (y: number, x: number) => src[(y * w + x) * c + k]!
        out[(oy * outW + ox) * c + k] = (1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x1)) + fy * ((1 - fx) * v(y1, x0) + fx * v(y1, x1))
      }
    }
  }
  return Tensor.adopt([outH, outW, c], out)
}

/**
 * Bilinear resize of the whole image to size × size (what training does; aspect is not kept).
 *
 * @example
 * resize(28)(example, key)
 */
export const resize = (size: number): ExampleOp => e => withImage(e, resizeTo(e.image, size, size))

/**
 * A window of the image at (top, left), size × size, reading `fill` outside it.
 *
 * @example
 * crop(image, -2, 1, 28) // a 28×28 window, black outside the image
 */
export const crop = (image: Tensor, top: number, left: number, size: number, fill = 0): Tensor => {
  const [h, w, c] = image.shape as [number, number, number]
  const out = new Float32Array(size * size * c).fill(fill)
  for (let y = 0; y < size; y++) {
    const sy = top + y
    if (sy < 0 || sy >= h) continue
    for (let x = 0; x < size; x++) {
      const sx = left + x
      if (sx < 0 || sx >= w) continue
      for (let k = 0; k < c; k++) out[(y * size + x) * c + k] = image.data[(sy * w + sx) * c + k]!
    }
  }
  return Tensor.adopt([size, size, c], out)
}

/**
 * Mirror left-right.
 *
 * @example
 * const flipped = mirror(image)
 */
export const mirror = (image: Tensor): Tensor => {
  const [h, w, c] = image.shape as [number, number, number]
  const out = new Float32Array(image.size)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = image.data[(y * w + (w - 1 - x)) * c + k]!
  return Tensor.adopt([h, w, c], out)
}

/** A uniform integer in [0, n) from (key, counter). */
const draw = (key: Key, counter: number, n: number): number => bits(key, counter) % n

/**
 * Random translation: pad by `pad` pixels (black) on every side and take a random window of the
 * original size (the classic CIFAR/MNIST augmentation; crops of a small image keep the whole digit).
 *
 * @example
 * randomCrop(2)(example, foldIn(stepKey, i))
 */
export const randomCrop = (pad: number): ExampleOp => (e, key) => {
  if (pad <= 0) return e
  const [h] = e.image.shape as [number, number, number]
  return withImage(e, crop(e.image, draw(key, 0, 2 * pad + 1) - pad, draw(key, 1, 2 * pad + 1) - pad, h))
}

/**
 * Mirrors with probability p.
 *
 * @example
 * randomFlip(0.5)(example, key)
 */
export const randomFlip = (p: number): ExampleOp => (e, key) => (p > 0 && bits(key, 2) / 2 ** 32 < p ? withImage(e, mirror(e.image)) : e)

/**
 * (x − mean) / std, one value for every channel or one per channel: timm's mean = std = 0.5 for
 * these networks maps [0, 1] to [−1, 1].
 *
 * @example
 * normalize(0.5, 0.5)(example, key) // [0, 1] → [−1, 1]
 */
export const normalize = (mean: number | readonly number[], std: number | readonly number[]): ExampleOp => e => {
  const c = e.image.shape[e.image.shape.length - 1]!
  const m = typeof mean === 'number' ? [mean] : mean
  const s = typeof std === 'number' ? [std] : std
  const at = (v: readonly number[], i: number) => v[v.length === 1 ? 0 : i % c]!
  if (m.length !== 1 && m.length !== c) throw new RangeError(`normalize: ${m.length} means for ${c} channels`)
  if (s.length !== 1 && s.length !== c) throw new RangeError(`normalize: ${s.length} standard deviations for ${c} channels`)
  return withImage(e, Tensor.adopt(e.image.shape, e.image.data.map((v, i) => (v - at(m, i)) / at(s, i))))
}

/**
 * Operators applied left to right, each with its own key.
 *
 * @example
 * const prepare = compose(toChannels(1), resize(28), randomCrop(2), normalize(0.5, 0.5))
 */
export const compose = (...ops: readonly ExampleOp[]): ExampleOp => (e, key) => ops.reduce((acc, op, i) => op(acc, foldIn(key, i)), e)
