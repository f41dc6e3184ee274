import { Layer, branches, named, numbered } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { avgPool3x3s1 } from './pools'

/**
 * Inception-A, 35x35x384 (spec §1.4).
 *
 * @example
 * numbered(times(4, () => inceptionA(blockOptions({}))))
 */
export const inceptionA = (o: BlockOptions): Layer =>
  branches(
    named('branch0', conv(o, 96, 1)),
    named('branch1', numbered([conv(o, 64, 1), conv(o, 96, 3)])),
    named('branch2', numbered([conv(o, 64, 1), conv(o, 96, 3), conv(o, 96, 3)])),
    named('branch3', numbered([avgPool3x3s1(), conv(o, 96, 1)])),
  )
