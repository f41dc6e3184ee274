import { Layer, branches, named, numbered } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { maxPool3x3s2 } from './pools'

/**
 * Stem of Inception-v4 (spec §1.1), as the six layers timm numbers features.0-5. The last 192-filter
 * conv is stride 2 'valid' (the figure's "192 V" is a known error). PAPER draws Mixed_4a's factorised
 * pair as 7x1 then 1x7; REF (and the weights) use 1x7 then 7x1.
 *
 * @example
 * named('features', numbered(stemV4(blockOptions({}))))
 */
export const stemV4 = (o: BlockOptions): Layer[] => {
  const [first, second]: [[number, number], [number, number]] = o.variant === 'paper' ? [[7, 1], [1, 7]] : [[1, 7], [7, 1]]
  return [
    conv(o, 32, 3, 2, 'valid'),
    conv(o, 32, 3, 1, 'valid'),
    conv(o, 64, 3, 1, 'same'),
    // Mixed_3a: [max pool, conv]
    branches(maxPool3x3s2(o), named('conv', conv(o, 96, 3, 2, 'valid'))),
    // Mixed_4a
    branches(
      named('branch0', numbered([conv(o, 64, 1), conv(o, 96, 3, 1, 'valid')])),
      named('branch1', numbered([conv(o, 64, 1), conv(o, 64, first), conv(o, 64, second), conv(o, 96, 3, 1, 'valid')])),
    ),
    // Mixed_5a: [conv, max pool]
    branches(named('conv', conv(o, 192, 3, 2, 'valid')), maxPool3x3s2(o)),
  ]
}
