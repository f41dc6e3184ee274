import { Backend } from '../backend'
import { Key, Tensor, uniform } from '../tensor'
import { mul } from './elementwise'

/**
 * Inverted dropout: keep each value with probability `keep` and scale it by 1 / keep, so inference
 * is the identity. The mask comes from the key alone (same key, same mask, on every backend) and
 * the backward pass multiplies by the same mask.
 *
 * @example
 * const mask = dropoutMask(key, [8, 1536], 0.8)
 */
export const dropoutMask = (key: Key, shape: readonly number[], keep: number): Tensor => {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`dropout: keep probability must be in (0, 1], got ${keep}`)
  const u = uniform(key, shape)
  return Tensor.adopt(u.shape, u.data.map(v => (v < keep ? 1 / keep : 0)))
}

/**
 * Keyed inverted dropout: keeps each value with probability `keep`, scaled by 1/keep; returns the mask for the backward pass.
 *
 * @example
 * const { y, mask } = await dropout(x, foldIn(key, step), 0.8, backend)
 */
export const dropout = async (x: Tensor, key: Key, keep: number, be: Backend): Promise<{ y: Tensor; mask: Tensor }> => {
  const mask = dropoutMask(key, x.shape, keep)
  return { y: await mul(x, mask, be), mask }
}

/**
 * The gradient of dropout: dy times the mask.
 *
 * @example
 * const dx = await dropoutGrad(dy, mask, backend)
 */
export const dropoutGrad = (dy: Tensor, mask: Tensor, be: Backend): Promise<Tensor> => mul(dy, mask, be)
