import { PoolOptions, avgPool as avgPoolOp, avgPoolGrad, globalAvgPool as gapOp, globalAvgPoolGrad, maxPool as maxPoolOp, maxPoolGrad, poolGeometry } from '../../ops'
import { stateless } from './primitive'

const describe = (kind: string, o: PoolOptions) => `${kind} ${o.size ?? 3}x${o.size ?? 3}/${o.stride ?? 2} ${o.padding ?? 'valid'}`

/** The pooling defaults the ops apply (3×3, stride 2, valid), made explicit for the graph. */
const poolGraph = (o: PoolOptions) => ({ size: o.size ?? 3, stride: o.stride ?? 2, padding: o.padding ?? 'valid' as const })

const outShape = (kind: string, o: PoolOptions) => (s: readonly number[]) => {
  const g = poolGeometry(s, o, kind)
  return [g.n, g.y.out, g.x.out, g.c]
}

/**
 * The max-pooling layer.
 *
 * @example
 * maxPool({ size: 3, stride: 2, padding: 'valid' })
 */
export const maxPool = (opts: PoolOptions = {}) =>
  stateless(describe('maxPool', opts), outShape('maxPool', opts), async (x, ctx) => ({
    y: await maxPoolOp(x, opts, ctx.backend),
    back: dy => maxPoolGrad(x, dy, opts, ctx.backend),
  }), { op: 'maxPool', ...poolGraph(opts) })

/**
 * Average pooling; 'same' padding excludes the padded cells from each window's divisor (TensorFlow's rule).
 *
 * @example
 * avgPool({ size: 3, stride: 1, padding: 'same' })
 */
export const avgPool = (opts: PoolOptions = {}) =>
  stateless(describe('avgPool', opts), outShape('avgPool', opts), async (x, ctx) => ({
    y: await avgPoolOp(x, opts, ctx.backend),
    back: dy => avgPoolGrad(x.shape, dy, opts, ctx.backend),
  }), { op: 'avgPool', ...poolGraph(opts) })

/**
 * NHWC → [N, C].
 *
 * @example
 * serial(globalAvgPool(), named('logits', dense(10)))
 */
export const globalAvgPool = () =>
  stateless('globalAvgPool', s => {
    if (s.length !== 4) throw new RangeError(`expected an NHWC input, got [${s.join(', ')}]`)
    return [s[0]!, s[3]!]
  }, async (x, ctx) => ({
    y: await gapOp(x, ctx.backend),
    back: dy => globalAvgPoolGrad(x.shape, dy, ctx.backend),
  }), { op: 'globalAvgPool' })
