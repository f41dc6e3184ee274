import { Backend } from '../backend'
import { Tensor } from '../tensor'
import { launch, keyOf } from './internal/launch'
import { Padding, Window2D, padNHWC, window2d } from './internal/padding'
import { table, tapReach, windowStarts, withZeroRow } from './internal/windows'
import { batchSlice, byBatch, overLimit, windowPerSample } from './internal/split'

/**
 * Max and average pooling, NHWC, TensorFlow padding. Windows read a padded copy of the input (max
 * pads with the lowest float, so padding never wins); 'same' average pooling divides by the number
 * of real cells in each window, excluding the padding, as TensorFlow does. Gradients gather over
 * padded input positions through the tap-reach table, like the convolution's input gradient.
 *
 * @example
 * const opts: PoolOptions = { size: 3, stride: 2, padding: 'valid' }
 */
export interface PoolOptions {
  readonly size?: number
  readonly stride?: number
  readonly padding?: Padding
}

/**
 * The output size and padding of a pooling window, checked (errors name `what`).
 *
 * @example
 * const g = poolGeometry(x.shape, { size: 3, stride: 2 }, 'maxPool')
 */
export const poolGeometry = (shape: readonly number[], opts: PoolOptions, what: string): Window2D => {
  const k = opts.size ?? 3
  return window2d(shape, k, k, opts.stride ?? 2, opts.padding ?? 'valid', what)
}

const LOWEST = -3.4e38

const key = (op: string, g: Window2D) => keyOf(op, g.n, g.h, g.w, g.c, g.kh, g.stride, g.y.before, g.y.after, g.x.before, g.x.after)
const positionsOf = (g: Window2D) => g.n * g.y.out * g.x.out
const constantsOf = (g: Window2D) => ({ C: g.c, K: g.kh, WP: g.wp, T: g.kh * g.kw })

/** 1 / (number of real input cells) for each output window. */
const inverseCounts = (g: Window2D): Float32Array =>
  table(key('pool.count', g), positionsOf(g), p => {
    const oy = Math.floor(p / g.x.out) % g.y.out
    const ox = p % g.x.out
    const rows = Math.min(oy * g.stride + g.kh, g.y.before + g.h) - Math.max(oy * g.stride, g.y.before)
    const cols = Math.min(ox * g.stride + g.kw, g.x.before + g.w) - Math.max(ox * g.stride, g.x.before)
    return 1 / (rows * cols)
  })

const maxSource = `function (x, starts) {
  const c = this.thread.x;
  const b = starts[this.thread.y] + c;
  let m = -3.4e38;
  for (let ky = 0; ky < this.constants.K; ky++) {
    for (let kx = 0; kx < this.constants.K; kx++) {
      m = Math.max(m, x[b + (ky * this.constants.WP + kx) * this.constants.C]);
    }
  }
  return m;
}`

/** The tap (ky·k + kx) holding each window's maximum, the first one on ties (row-major scan). */
const argmaxSource = `function (x, starts) {
  const c = this.thread.x;
  const b = starts[this.thread.y] + c;
  let m = -3.4e38;
  let arg = 0;
  for (let ky = 0; ky < this.constants.K; ky++) {
    for (let kx = 0; kx < this.constants.K; kx++) {
      const v = x[b + (ky * this.constants.WP + kx) * this.constants.C];
      if (v > m) {
        m = v;
        arg = ky * this.constants.K + kx;
      }
    }
  }
  return arg;
}`

const avgSource = `function (x, starts, inv) {
  const c = this.thread.x;
  const b = starts[this.thread.y] + c;
  let s = 0;
  for (let ky = 0; ky < this.constants.K; ky++) {
    for (let kx = 0; kx < this.constants.K; kx++) {
      s += x[b + (ky * this.constants.WP + kx) * this.constants.C];
    }
  }
  return s * inv[this.thread.y];
}`

/** dx at padded position q: Σ over taps of dy at the position the tap reaches, where that window's max sat. */
const maxGradSource = `function (dyz, argz, reach) {
  const c = this.thread.x;
  const r = this.thread.y * this.constants.T;
  let s = 0;
  for (let t = 0; t < this.constants.T; t++) {
    const o = reach[r + t] + c;
    if (argz[o] === t) {
      s += dyz[o];
    }
  }
  return s;
}`

/** dx at padded position q: Σ over taps of dy / count at the position the tap reaches. */
const avgGradSource = `function (dyz, reach) {
  const c = this.thread.x;
  const r = this.thread.y * this.constants.T;
  let s = 0;
  for (let t = 0; t < this.constants.T; t++) {
    s += dyz[reach[r + t] + c];
  }
  return s;
}`

const outShape = (g: Window2D) => [g.n, g.y.out, g.x.out, g.c]

/**
 * Max pooling over size × size windows (padding reads the lowest float, never wins).
 *
 * @example
 * const y = await maxPool(x, { size: 3, stride: 2, padding: 'valid' }, backend)
 */
export const maxPool = async (x: Tensor, opts: PoolOptions = {}, be: Backend): Promise<Tensor> => {
  const g = poolGeometry(x.shape, opts, 'maxPool')
  const per = windowPerSample(g, g.c)
  if (overLimit(g.n, per)) return byBatch('maxPool', g.n, per, outShape(g), (s, c) => maxPool(batchSlice(x, s, c), opts, be))
  const p = positionsOf(g)
  const spec = { key: key('maxPool', g), source: maxSource, output: [g.c, p], constants: constantsOf(g) }
  return Tensor.adopt(outShape(g), await launch(be, spec, [padNHWC(x, g, LOWEST, 'pool.x'), windowStarts(g, g.c)], p * g.c))
}

/**
 * Average pooling; with 'same' padding the divisor counts only the positions inside the image (TensorFlow's).
 *
 * @example
 * const y = await avgPool(x, { size: 3, stride: 1, padding: 'same' }, backend)
 */
export const avgPool = async (x: Tensor, opts: PoolOptions = {}, be: Backend): Promise<Tensor> => {
  const g = poolGeometry(x.shape, opts, 'avgPool')
  const per = windowPerSample(g, g.c)
  if (overLimit(g.n, per)) return byBatch('avgPool', g.n, per, outShape(g), (s, c) => avgPool(batchSlice(x, s, c), opts, be))
  const p = positionsOf(g)
  const spec = { key: key('avgPool', g), source: avgSource, output: [g.c, p], constants: constantsOf(g) }
  return Tensor.adopt(outShape(g), await launch(be, spec, [padNHWC(x, g, 0, 'pool.x'), windowStarts(g, g.c), inverseCounts(g)], p * g.c))
}

/**
 * The gradient of maxPool: each window's dy goes to its maximum.
 *
 * @example
 * const dx = await maxPoolGrad(x, dy, { size: 3, stride: 2 }, backend)
 */
export const maxPoolGrad = async (x: Tensor, dy: Tensor, opts: PoolOptions = {}, backend: Backend): Promise<Tensor> => {
  const g = poolGeometry(x.shape, opts, 'maxPool gradient')
  const per = windowPerSample(g, g.c)
  if (overLimit(g.n, per)) {
    return byBatch('maxPool gradient', g.n, per, x.shape, (s, c) => maxPoolGrad(batchSlice(x, s, c), batchSlice(dy, s, c), opts, backend))
  }
  const p = positionsOf(g)
  const q = g.n * g.h * g.w
  const argSpec = { key: key('maxPool.argmax', g), source: argmaxSource, output: [g.c, p], constants: constantsOf(g) }
  const arg = await launch(backend, argSpec, [padNHWC(x, g, LOWEST, 'pool.x'), windowStarts(g, g.c)], p * g.c)
  const argz = withZeroRow(arg, g.c, 'pool.arg').fill(-1, p * g.c)
  const spec = { key: key('maxPool.dx', g), source: maxGradSource, output: [g.c, q], constants: constantsOf(g) }
  return Tensor.adopt(x.shape, await launch(backend, spec, [withZeroRow(dy.data, g.c, 'pool.dy'), argz, tapReach(g, g.c)], q * g.c))
}

/**
 * The gradient of avgPool.
 *
 * @example
 * const dx = await avgPoolGrad(x.shape, dy, { size: 3, stride: 1, padding: 'same' }, backend)
 */
export const avgPoolGrad = async (xShape: readonly number[], dy: Tensor, opts: PoolOptions = {}, be: Backend): Promise<Tensor> => {
  const g = poolGeometry(xShape, opts, 'avgPool gradient')
  const per = windowPerSample(g, g.c)
  if (overLimit(g.n, per)) {
    return byBatch('avgPool gradient', g.n, per, xShape, (s, c) => avgPoolGrad([c, ...xShape.slice(1)], batchSlice(dy, s, c), opts, be))
  }
  const q = g.n * g.h * g.w
  const inv = inverseCounts(g)
  const dyz = withZeroRow(dy.data, g.c, 'pool.dy')
  for (let i = 0; i < dy.size; i++) dyz[i]! *= inv[Math.floor(i / g.c)]!
  const spec = { key: key('avgPool.dx', g), source: avgGradSource, output: [g.c, q], constants: constantsOf(g) }
  return Tensor.adopt(xShape, await launch(be, spec, [dyz, tapReach(g, g.c)], q * g.c))
}
