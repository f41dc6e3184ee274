import { dense as denseOp, denseGrad } from '../../ops'
import { Tensor, foldIn, shapeToString } from '../../tensor'
import { Layer } from '../layer'
import { EMPTY } from '../tree'
import { heTruncated } from './conv'
import { param } from './primitive'

/** Fully connected [N, I] → [N, units], `weight` stored [I, units] (timm's [units, I] is transposed at load). */
export const dense = (units: number): Layer => {
  const kind = `dense → ${units}`
  return {
    kind,
    init(key, inputShape) {
      if (inputShape.length !== 2) throw new RangeError(`expected [N, features], got ${shapeToString(inputShape)} (add globalAvgPool first)`)
      const fanIn = inputShape[1]!
      return {
        outputShape: [inputShape[0]!, units],
        params: { weight: heTruncated(foldIn(key, 0), [fanIn, units], fanIn), bias: Tensor.zeros([units]) },
        state: EMPTY,
      }
    },
    apply(params, _state, x, ctx) {
      return async () => {
        const w = param(params, 'weight', kind)
        const b = param(params, 'bias', kind)
        return {
          y: await denseOp(x, w, b, ctx.backend),
          state: EMPTY,
          backward: dy => async () => {
            const g = await denseGrad(x, w, dy, ctx.backend)
            return { dx: g.dx, params: { weight: g.dw, bias: g.db } }
          },
        }
      }
    },
  }
}
