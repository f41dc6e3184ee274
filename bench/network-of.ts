import { Layer } from '../lib/nn'
import { NETWORKS } from '../modules'
import type { BenchCase } from './suite-types'

/**
 * A benchmark case's network: a published one, or `NAME-tiny` (width 1/8, one block per stage,
 * 'same' stride-2 layers). Dropout is off so that the engines compute the same function.
 *
 * @example
 * networkOf({ network: 'inception-v4-tiny', classes: 10 } as BenchCase).spec([8, 75, 75, 3])
 */
export const networkOf = (c: Pick<BenchCase, 'network' | 'classes'>): Layer => {
  const small = c.network.endsWith('-tiny')
  const base = (small ? c.network.slice(0, -'-tiny'.length) : c.network) as keyof typeof NETWORKS
  if (!(base in NETWORKS)) throw new Error(`bench: unknown network '${c.network}'`)
  return NETWORKS[base]({ dropoutKeep: 1, classes: c.classes, ...(small ? { width: 0.125, repeats: [1, 1, 1] as [number, number, number], sameStride2: true } : {}) })
}
