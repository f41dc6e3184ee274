import { Layer, branches, named, numbered, serial } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { avgPool3x3s1 } from './pools'

/**
 * Inception-C, 8x8x1536 (spec §1.8). Branches 1 and 2 end in two parallel convs (1x3, 3x1) whose
 * outputs are concatenated; timm names these layers flat (branch1_0, branch1_1a, ...), which the
 * unnamed serial/branches reproduce. PAPER orients branch 2's 448/512 pair 1x3 then 3x1.
 *
 * @example
 * numbered(times(3, () => inceptionC(blockOptions({}))))
 */
export const inceptionC = (o: BlockOptions): Layer => {
  const [first, second]: [number, number][] = o.variant === 'paper' ? [[1, 3], [3, 1]] : [[3, 1], [1, 3]]
  return branches(
    named('branch0', conv(o, 256, 1)),
    serial(named('branch1_0', conv(o, 384, 1)), branches(named('branch1_1a', conv(o, 256, [1, 3])), named('branch1_1b', conv(o, 256, [3, 1])))),
    serial(
      named('branch2_0', conv(o, 384, 1)),
      named('branch2_1', conv(o, 448, first!)),
      named('branch2_2', conv(o, 512, second!)),
      branches(named('branch2_3a', conv(o, 256, [1, 3])), named('branch2_3b', conv(o, 256, [3, 1]))),
    ),
    named('branch3', numbered([avgPool3x3s1(), conv(o, 256, 1)])),
  )
}
