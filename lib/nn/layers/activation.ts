import { relu as reluOp, reluGrad } from '../../ops'
import { stateless } from './primitive'

/**
 * The ReLU layer (no parameters).
 *
 * @example
 * serial(named('conv', conv2d({ filters: 8, kernel: 3 })), relu())
 */
export const relu = () =>
  stateless('relu', s => s, async (x, ctx) => {
    const y = await reluOp(x, ctx.backend)
    return { y, back: dy => reluGrad(y, dy, ctx.backend) }
  }, { op: 'relu' })
