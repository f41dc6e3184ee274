import { Layer, named, numbered, serial } from '../lib/nn'
import { inceptionResNetA, inceptionResNetB, inceptionResNetC } from './inception-resnet-blocks'
import { auxHead } from './aux-head'
import { DEFAULT_SCALES, NetworkOptions, blockOptions, classifierHead, times, withAux } from './network-options'
import { conv } from './basic-conv'
import { REDUCTION_A, reductionA } from './reduction-a'
import { reductionBResNet } from './reduction-b'
import { stemResNetV2 } from './stem-resnet'
import { stemV4 } from './stem-v4'

/**
 * Inception-ResNet-v2 (spec §3.3). REF (default; timm's names, timm's weights): the TF-slim stem,
 * 10 × A, Reduction-A(256, 256, 384, 384), 20 × B, Reduction-B, 9 × C plus a final C block with
 * scale 1.0 and no ReLU, Conv2d_7b 1x1 1536, pool, dropout, `classif`. PAPER: the Inception-v4 stem,
 * 5 / 10 / 5 blocks (the last without ReLU), no Conv2d_7b.
 *
 * @example
 * const net = inceptionResNetV2() // timm's inception_resnet_v2: load its weights with importStateDict
 */
export const inceptionResNetV2 = (opts: NetworkOptions = {}): Layer => {
  const o = blockOptions(opts)
  const s = opts.scales ?? DEFAULT_SCALES
  const paper = o.variant === 'paper'
  const [a, b, c] = opts.repeats ?? (paper ? [5, 10, 5] : [10, 20, 10])
  const stem = paper ? [named('stem', numbered(stemV4(o)))] : stemResNetV2(o)
  const classes = opts.classes ?? 1000
  const trunk = [
    ...stem,
    named('repeat', numbered(times(a, () => inceptionResNetA(o, 'v2', { scale: s.a })))),
    named('mixed_6a', reductionA(o, REDUCTION_A.inceptionResNetV2)),
    named('repeat_1', numbered(times(b, () => inceptionResNetB(o, 'v2', { scale: s.b })))),
  ]
  const rest = [
    named('mixed_7a', reductionBResNet(o, 'v2')),
    named('repeat_2', numbered(times(c - 1, () => inceptionResNetC(o, 'v2', { scale: s.c })))),
    named('block8', inceptionResNetC(o, 'v2', { scale: 1, relu: false })),
    ...(paper ? [] : [named('conv2d_7b', conv(o, 1536, 1))]),
    ...classifierHead(opts, o, 'classif'),
  ]
  // The auxiliary head reads TF-slim's PreAuxLogits, the output of the last IR-B block.
  return opts.aux ? serial(...trunk, withAux(rest, auxHead(o, classes))) : serial(...trunk, ...rest)
}
