import { relu as reluOp, reluGrad } from '../../ops'
import { stateless } from './primitive'

export const relu = () =>
  stateless('relu', s => s, async (x, ctx) => {
    const y = await reluOp(x, ctx.backend)
    return { y, back: dy => reluGrad(y, dy, ctx.backend) }
  })
