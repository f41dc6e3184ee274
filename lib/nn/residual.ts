import { reluGrad, scale as scaleBy, scaledAdd, scaledAddRelu, add } from '../ops'
import { sameShape, shapeToString } from '../tensor'
import { Layer, LayerShapeError, defineLayer } from './layer'
import { graphOf } from './graph'

/**
 * residual's options: the scale of the body's output and the activation after the sum.
 *
 * @example
 * residual(body, { scale: 0.17, activation: 'relu' })
 */
export interface ResidualOptions {
  /** Multiplies the body's output before the sum (Inception-ResNet uses 0.1-0.3). */
  readonly scale?: number
  /** 'relu' after the sum (default), or 'none' (the last Inception-ResNet-v2 block). */
  readonly activation?: 'relu' | 'none'
}

/**
 * y = act(x + scale · body(x)): the Inception-ResNet block around its branches and linear 1×1
 * projection. The body's parameters are the block's own (not nested), matching timm's names. The
 * body may be given as a function of the input's channel count, for a projection back to it.
 *
 * @example
 * residual(c => serial(branches(a, b), named('conv2d', conv2d({ filters: c, kernel: 1, bias: true }))), { scale: 0.17 })
 */
export const residual = (body: Layer | ((channels: number) => Layer), opts: ResidualOptions = {}): Layer => {
  const s = opts.scale ?? 1
  const act = opts.activation ?? 'relu'
  // A body may depend on the block's width (the projection back to it): built once per width.
  const bodies = new Map<number, Layer>()
  const bodyFor = (shape: readonly number[]): Layer => {
    if (typeof body !== 'function') return body
    const c = shape[shape.length - 1]!
    if (!bodies.has(c)) bodies.set(c, body(c))
    return bodies.get(c)!
  }
  return defineLayer({
    kind: `residual(scale ${s}, ${act})`,
    spec(inputShape) {
      const r = bodyFor(inputShape).spec(inputShape)
      if (!sameShape(r.outputShape, inputShape)) {
        throw new LayerShapeError([], `residual: the body maps ${shapeToString(inputShape)} to ${shapeToString(r.outputShape)}; a residual sum needs the same shape (check the projection's filter count)`)
      }
      return { ...r, rows: [...r.rows, { path: '', kind: `scaled sum (${s})${act === 'relu' ? ' + relu' : ''}`, outputShape: inputShape, params: 0, state: 0, macs: 0 }] }
    },
    graph: inputShape => ({ op: 'residual', body: graphOf(bodyFor(inputShape), inputShape), scale: s, relu: act === 'relu' }),
    apply(params, state, x, ctx) {
      return async () => {
        const b = await bodyFor(x.shape).apply(params, state, x, ctx)()
        // the sum and its ReLU in one pass
        const y = act === 'relu' ? await scaledAddRelu(x, b.y, s, ctx.backend) : await scaledAdd(x, b.y, s, ctx.backend)
        return {
          y,
          state: b.state,
          backward: dy => async () => {
            const ds = act === 'relu' ? await reluGrad(y, dy, ctx.backend) : dy
            const body$ = await b.backward(s === 1 ? ds : await scaleBy(ds, s, ctx.backend))()
            return { dx: await add(ds, body$.dx, ctx.backend), params: body$.params }
          },
        }
      }
    },
  })
}
