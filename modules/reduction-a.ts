import { Layer, branches, named, numbered } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { maxPool3x3s2 } from './pools'

/**
 * The Reduction-A filter counts (spec §2, the paper's Table 1).
 *
 * @example
 * reductionA(o, { k: 192, l: 224, m: 256, n: 384 })
 */
export interface ReductionAFilters {
  readonly k: number
  readonly l: number
  readonly m: number
  readonly n: number
}

/**
 * Reduction-A's k, l, m, n per network (spec §2).
 *
 * @example
 * reductionA(o, REDUCTION_A.inceptionV4)
 */
export const REDUCTION_A = {
  inceptionV4: { k: 192, l: 224, m: 256, n: 384 },
  inceptionResNetV1: { k: 192, l: 192, m: 256, n: 384 },
  inceptionResNetV2: { k: 256, l: 256, m: 384, n: 384 },
} as const

/**
 * Reduction-A(k, l, m, n), 35x35 → 17x17 (spec §1.5).
 *
 * @example
 * named('mixed_6a', reductionA(o, REDUCTION_A.inceptionResNetV2))
 */
export const reductionA = (o: BlockOptions, { k, l, m, n }: ReductionAFilters): Layer =>
  branches(
    named('branch0', conv(o, n, 3, 2, 'valid')),
    named('branch1', numbered([conv(o, k, 1), conv(o, l, 3), conv(o, m, 3, 2, 'valid')])),
    maxPool3x3s2(o),
  )
