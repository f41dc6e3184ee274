import { Conv2DOptions, Padding, conv2d as conv2dOp, conv2dGrad, convGeometry } from '../../ops'
import { Key, Shape, Tensor, truncatedNormal } from '../../tensor'
import { Layer, defineLayer } from '../layer'
import { SpecTree, leafSpec, zerosSpec } from '../spec'
import { EMPTY } from '../../tree'
import { param } from './primitive'

/**
 * conv2d's options: filters, kernel, stride, padding, bias.
 *
 * @example
 * conv2d({ filters: 64, kernel: [1, 7], stride: 1, padding: 'same', bias: false })
 */
export interface ConvOptions {
  readonly filters: number
  /** [kh, kw], or one number for a square kernel. */
  readonly kernel: number | readonly [number, number]
  readonly stride?: number
  readonly padding?: Padding
  /** Inception's convolutions feed batch norm and have no bias (the default). */
  readonly bias?: boolean
}

/**
 * He (fan-in) initialisation from a truncated normal, corrected for the truncation's lost variance
 * (0.8796 is the stddev of a unit normal truncated at ±2), as Keras's he_normal / TF's variance_scaling.
 *
 * @example
 * const w = heTruncated(key, [3, 3, 64, 96], 3 * 3 * 64)
 */
export const heTruncated = (key: Key, shape: Shape, fanIn: number): Tensor =>
  truncatedNormal(key, shape, 0, Math.sqrt(2 / fanIn) / 0.87962566)

/**
 * 2-D convolution with HWIO `weight` (and `bias` when asked for).
 *
 * @example
 * named('conv', conv2d({ filters: 32, kernel: 3, stride: 2, padding: 'valid' })) // conv.weight [3, 3, cin, 32]
 */
export const conv2d = (o: ConvOptions): Layer => {
  const [kh, kw] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : o.kernel
  const opts: Conv2DOptions = { stride: o.stride ?? 1, padding: o.padding ?? 'valid' }
  const kind = `conv2d ${kh}x${kw}/${opts.stride} ${opts.padding} → ${o.filters}`
  return defineLayer({
    kind,
    graph: () => ({ op: 'conv2d', kernel: [kh, kw], stride: opts.stride!, padding: opts.padding!, bias: !!o.bias }),
    spec(inputShape) {
      const cin = inputShape[inputShape.length - 1]!
      const filters = o.filters
      const shape: Shape = [kh, kw, cin, filters]
      const g = convGeometry(inputShape, shape, opts)
      const outputShape = [g.n, g.y.out, g.x.out, filters]
      const params: SpecTree = {
        weight: { shape, init: key => heTruncated(key, shape, kh * kw * cin) },
        ...(o.bias ? { bias: zerosSpec([filters]) } : {}),
      }
      return leafSpec(kind, outputShape, params, {}, g.positions * kh * kw * cin * filters)
    },
    apply(params, _state, x, ctx) {
      return async () => {
        const w = param(params, 'weight', kind)
        const b = o.bias ? param(params, 'bias', kind) : undefined
        const y = await conv2dOp(x, w, b, opts, ctx.backend)
        return {
          y,
          state: EMPTY,
          backward: dy => async () => {
            const g = await conv2dGrad(x, w, dy, opts, ctx.backend, !!o.bias)
            return { dx: g.dx, params: { weight: g.dw, ...(g.db ? { bias: g.db } : {}) } }
          },
        }
      }
    },
  })
}
