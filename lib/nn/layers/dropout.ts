import { dropout as dropoutOp, dropoutGrad } from '../../ops'
import { stateless } from './primitive'

/**
 * Inverted dropout keeping `keep` of the values in training (identity in inference); the mask comes from ctx.key.
 *
 * @example
 * serial(globalAvgPool(), dropout(0.8), named('fc', dense(1000)))
 */
export const dropout = (keep: number) => {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`dropout: keep probability must be in (0, 1], got ${keep}`)
  return stateless(`dropout(keep ${keep})`, s => s, async (x, ctx) => {
    if (!ctx.training || keep === 1) return { y: x, back: async dy => dy }
    const { y, mask } = await dropoutOp(x, ctx.key, keep, ctx.backend)
    return { y, back: dy => dropoutGrad(dy, mask, ctx.backend) }
  }, { op: 'dropout', keep })
}
