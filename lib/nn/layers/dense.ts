import { dense as denseOp, denseGrad } from '../../ops'
import { Key, shapeToString } from '../../tensor'
import { Layer, defineLayer } from '../layer'
import { leafSpec, zerosSpec } from '../spec'
import { EMPTY } from '../../tree'
import { heTruncated } from './conv'
import { param } from './primitive'

/**
 * Fully connected [N, I] → [N, units], `weight` stored [I, units] (timm's [units, I] is transposed at load).
 *
 * @example
 * named('fc', dense(10)) // fc.weight [c, 10], fc.bias [10]
 */
export const dense = (units: number): Layer => {
  const kind = `dense → ${units}`
  return defineLayer({
    kind,
    graph: () => ({ op: 'dense', units }),
    spec(inputShape) {
      if (inputShape.length !== 2) throw new RangeError(`expected [N, features], got ${shapeToString(inputShape)} (add globalAvgPool first)`)
      const [n, fanIn] = inputShape as [number, number]
      const params = { weight: { shape: [fanIn, units], init: (key: Key) => heTruncated(key, [fanIn, units], fanIn) }, bias: zerosSpec([units]) }
      return leafSpec(kind, [n, units], params, {}, n * fanIn * units)
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
  })
}
