import { Layer, branches, named, numbered } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { maxPool3x3s2 } from './pools'

/**
 * Reduction-B of Inception-v4, 17x17x1024 → 8x8x1536 (spec §1.7).
 *
 * @example
 * reductionBV4(blockOptions({}))
 */
export const reductionBV4 = (o: BlockOptions): Layer =>
  branches(
    named('branch0', numbered([conv(o, 192, 1), conv(o, 192, 3, 2, 'valid')])),
    named('branch1', numbered([conv(o, 256, 1), conv(o, 256, [1, 7]), conv(o, 320, [7, 1]), conv(o, 320, 3, 2, 'valid')])),
    maxPool3x3s2(o),
  )

/**
 * Reduction-B of Inception-ResNet-v1 (v1) and -v2 (v2): 17x17 → 8x8 (spec §1.9, §1.10).
 *
 * @example
 * named('mixed_7a', reductionBResNet(o, 'v2'))
 */
export const reductionBResNet = (o: BlockOptions, version: 'v1' | 'v2'): Layer => {
  const [b1, b2a, b2b] = version === 'v1' ? [256, 256, 256] : [288, 288, 320]
  return branches(
    named('branch0', numbered([conv(o, 256, 1), conv(o, 384, 3, 2, 'valid')])),
    named('branch1', numbered([conv(o, 256, 1), conv(o, b1, 3, 2, 'valid')])),
    named('branch2', numbered([conv(o, 256, 1), conv(o, b2a, 3), conv(o, b2b, 3, 2, 'valid')])),
    maxPool3x3s2(o),
  )
}
