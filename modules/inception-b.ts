import { Layer, branches, named, numbered } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { avgPool3x3s1 } from './pools'

/**
 * Inception-B, 17x17x1024 (spec §1.6). REF orientations; PAPER follows the figure (two 1x7 in a row
 * in branch 1, 1x7 first in branch 2). Filter counts, hence parameters, are the same.
 *
 * @example
 * numbered(times(7, () => inceptionB(blockOptions({}))))
 */
export const inceptionB = (o: BlockOptions): Layer => {
  const paper = o.variant === 'paper'
  const [a, b]: [number, number][] = [[1, 7], [7, 1]]
  return branches(
    named('branch0', conv(o, 384, 1)),
    named('branch1', numbered([conv(o, 192, 1), conv(o, 224, a!), conv(o, 256, paper ? a! : b!)])),
    named('branch2', numbered([conv(o, 192, 1), conv(o, 192, paper ? a! : b!), conv(o, 224, paper ? b! : a!), conv(o, 224, paper ? a! : b!), conv(o, 256, paper ? b! : a!)])),
    named('branch3', numbered([avgPool3x3s1(), conv(o, 128, 1)])),
  )
}
