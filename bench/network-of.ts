import { Layer } from '../lib/nn'
import { MODELS, NETWORKS, ModelName } from '../modules'
import type { BenchCase } from './suite-types'

/**
 * A benchmark case's network: a published one, or `NAME-tiny` (width 1/8, one block per stage,
 * 'same' stride-2 layers). Dropout is off so that the engines compute the same function.
 *
 * @example
 * networkOf({ network: 'inception-v4-tiny', classes: 10 } as BenchCase).spec([8, 75, 75, 3])
 */
export const networkOf = (c: Pick<BenchCase, 'network' | 'classes'>): Layer => {
  if (!Object.prototype.hasOwnProperty.call(MODELS, c.network)) throw new Error(`bench: unknown network '${c.network}'`)
  const m = MODELS[c.network as ModelName]
  return NETWORKS[m.network]({ dropoutKeep: 1, classes: c.classes, width: m.width, sameStride2: m.sameStride2, ...(m.repeats ? { repeats: m.repeats } : {}) })
}
