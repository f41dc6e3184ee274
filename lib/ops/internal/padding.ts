import { Tensor, nhwc } from '../../tensor'
import { bufferFor } from './scratch'
import { plainView } from '../../backend/arena'

/**
 * TensorFlow's padding modes: 'valid' (none) or 'same' (output size ceil(in / stride)).
 *
 * @example
 * conv2d(x, w, undefined, { padding: 'same' satisfies Padding }, backend)
 */
export type Padding = 'valid' | 'same'

/**
 * One spatial axis of a window op: output size and the padding before/after, TensorFlow's rules.
 *
 * @example
 * const { out, before, after } = convGeometry(x.shape, w.shape, { stride: 2 }, 'conv').y
 */
export interface Axis {
  readonly out: number
  readonly before: number
  readonly after: number
}

/**
 * TensorFlow semantics: 'valid' uses no padding; 'same' gives ceil(in / stride) outputs and pads
 * max((out - 1) * stride + k - in, 0) in total, the smaller half before (so odd totals pad more
 * after, unlike PyTorch's symmetric padding).
 */
export const windowAxis = (size: number, k: number, stride: number, padding: Padding): Axis => {
  if (padding === 'valid') {
    const out = Math.floor((size - k) / stride) + 1
    return { out, before: 0, after: 0 }
  }
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + k - size, 0)
  const before = Math.floor(total / 2)
  return { out, before, after: total - before }
}

/**
 * Full geometry of a 2-D window op over an NHWC input.
 *
 * @example
 * const g: Window2D = poolGeometry([1, 35, 35, 96], { size: 3, stride: 2 }, 'pool')
 */
export interface Window2D {
  readonly n: number
  readonly h: number
  readonly w: number
  readonly c: number
  readonly kh: number
  readonly kw: number
  readonly stride: number
  readonly y: Axis
  readonly x: Axis
  /** Padded input height and width. */
  readonly hp: number
  readonly wp: number
}

export const window2d = (shape: readonly number[], kh: number, kw: number, stride: number, padding: Padding, what: string): Window2D => {
  const { n, h, w, c } = nhwc(shape, what)
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`${what}: stride must be a positive integer, got ${stride}`)
  const y = windowAxis(h, kh, stride, padding)
  const x = windowAxis(w, kw, stride, padding)
  if (y.out < 1 || x.out < 1) {
    throw new RangeError(`${what}: a ${kh}×${kw} '${padding}' window with stride ${stride} does not fit a ${h}×${w} input`)
  }
  return { n, h, w, c, kh, kw, stride, y, x, hp: h + y.before + y.after, wp: w + x.before + x.after }
}

/**
 * Copies an NHWC tensor's data into a zero- (or `value`-) padded buffer of the window's padded size:
 * `slot`'s scratch buffer when given (see scratch.ts: pass it straight to a kernel call).
 */
export const padNHWC = (t: Tensor, g: Window2D, value = 0, slot?: string): Float32Array => {
  if (g.hp === g.h && g.wp === g.w) return t.data
  const { n, h, w, c, hp, wp } = g
  const out = bufferFor(slot, n * hp * wp * c)
  if (value !== 0 || slot !== undefined) out.fill(value)
  const data = plainView(t.data)
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const src = ((b * h + i) * w) * c
      const dst = ((b * hp + i + g.y.before) * wp + g.x.before) * c
      out.set(data.subarray(src, src + w * c), dst)
    }
  }
  return out
}
