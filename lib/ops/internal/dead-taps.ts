import { Window2D } from './padding'

/**
 * Filter taps that read only padding. A stride-1 window whose kernel is wider than the input plus
 * one side's padding has taps that no output position ever places inside the input: a 1×7 'same'
 * layer on a 3-wide map (Inception's B blocks at 75×75 input) reads padding with 2 of its 7 columns
 * at every position. Such taps add exact zeros, so a convolution can drop them: the same window on a
 * cropped filter with correspondingly less padding gives the same sums in the same order (only the
 * sign of an exactly-zero sum could differ), and their filter gradient is zero.
 */
export interface LiveTaps<G extends Window2D> {
  /** The geometry over the cropped filter (same output size, less padding). */
  readonly g: G
  /** The first live tap row and column of the full filter. */
  readonly y0: number
  readonly x0: number
}

/** [first, last] tap of one axis that some output position places inside the input (stride 1). */
const liveRange = (size: number, k: number, before: number, out: number): [number, number] =>
  [Math.max(0, before - (out - 1)), Math.min(k - 1, size - 1 + before)]

/**
 * The live part of a stride-1 window's filter, or undefined when every tap is live (or the stride
 * is not 1, where the live taps need not be contiguous).
 *
 * @example
 * const live = liveTaps(convGeometry([8, 3, 3, 192], [1, 7, 192, 224], { padding: 'same' }))
 * // live.g.kw === 5, live.x0 === 1
 */
export const liveTaps = <G extends Window2D>(g: G): LiveTaps<G> | undefined => {
  if (g.stride !== 1) return undefined
  const [y0, y1] = liveRange(g.h, g.kh, g.y.before, g.y.out)
  const [x0, x1] = liveRange(g.w, g.kw, g.x.before, g.x.out)
  if (y0 === 0 && y1 === g.kh - 1 && x0 === 0 && x1 === g.kw - 1) return undefined
  const kh = y1 - y0 + 1
  const kw = x1 - x0 + 1
  const y = { out: g.y.out, before: g.y.before - y0, after: g.y.after - (g.kh - 1 - y1) }
  const x = { out: g.x.out, before: g.x.before - x0, after: g.x.after - (g.kw - 1 - x1) }
  return { g: { ...g, kh, kw, y, x, hp: g.h + y.before + y.after, wp: g.w + x.before + x.after }, y0, x0 }
}

/**
 * Rows [y0, y0 + kh) and columns [x0, x0 + kw) of an HWIO filter [·, KW, cin, cout].
 *
 * @example
 * const w5 = cropTaps(w.data, 7, 192 * 224, 0, 1, 1, 5)
 */
export const cropTaps = (w: Float32Array, KW: number, perTap: number, y0: number, x0: number, kh: number, kw: number): Float32Array => {
  const out = new Float32Array(kh * kw * perTap)
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = ((y0 + i) * KW + x0 + j) * perTap
      out.set(w.subarray(src, src + perTap), (i * kw + j) * perTap)
    }
  }
  return out
}

/**
 * The inverse of cropTaps for gradients: the cropped filter's values in place, zeros elsewhere.
 *
 * @example
 * const dw7 = embedTaps(dw5, 1, 7, 192 * 224, 0, 1, 1, 5)
 */
export const embedTaps = (cropped: Float32Array, KH: number, KW: number, perTap: number, y0: number, x0: number, kh: number, kw: number): Float32Array => {
  const out = new Float32Array(KH * KW * perTap)
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const dst = ((y0 + i) * KW + x0 + j) * perTap
      out.set(cropped.subarray((i * kw + j) * perTap, (i * kw + j + 1) * perTap), dst)
    }
  }
  return out
}
