import { Layer, branches, named, sequential } from '../lib/nn'
import { BlockOptions, avgPool3x3s1, conv } from './options'

/** Inception-A, 35x35x384 (spec §1.4). */
export const inceptionA = (o: BlockOptions): Layer =>
  branches(
    named('branch0', conv(o, 96, 1)),
    named('branch1', sequential(conv(o, 64, 1), conv(o, 96, 3))),
    named('branch2', sequential(conv(o, 64, 1), conv(o, 96, 3), conv(o, 96, 3))),
    named('branch3', sequential(avgPool3x3s1(), conv(o, 96, 1))),
  )
