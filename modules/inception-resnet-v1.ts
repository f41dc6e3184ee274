import { Layer, named, numbered, serial } from '../lib/nn'
import { inceptionResNetA, inceptionResNetB, inceptionResNetC } from './inception-resnet-blocks'
import { DEFAULT_SCALES, NetworkOptions, blockOptions, classifierHead, times } from './network-options'
import { REDUCTION_A, reductionA } from './reduction-a'
import { reductionBResNet } from './reduction-b'
import { stemResNetV1 } from './stem-resnet'

/**
 * Inception-ResNet-v1 (spec §3.2) with facenet-pytorch's names. REF: facenet's trunk, 5 × A,
 * Reduction-A(192, 192, 256, 384), 10 × B, Reduction-B, 5 × C plus a final C block (scale 1.0, no
 * ReLU), pool, dropout, then a classifier `logits` (facenet returns pre-logits; an ImageNet head is
 * the paper's). PAPER: 5 / 10 / 5 blocks, the last C block without ReLU.
 *
 * @example
 * const net = inceptionResNetV1({ width: 1 / 8, repeats: [1, 1, 1], sameStride2: true, classes: 10 }) // 28×28 digits
 */
export const inceptionResNetV1 = (opts: NetworkOptions = {}): Layer => {
  const o = blockOptions(opts)
  const s = opts.scales ?? DEFAULT_SCALES
  const [a, b, c] = opts.repeats ?? (o.variant === 'paper' ? [5, 10, 5] : [5, 10, 6])
  return serial(
    ...stemResNetV1(o),
    named('repeat_1', numbered(times(a, () => inceptionResNetA(o, 'v1', { scale: s.a })))),
    named('mixed_6a', reductionA(o, REDUCTION_A.inceptionResNetV1)),
    named('repeat_2', numbered(times(b, () => inceptionResNetB(o, 'v1', { scale: s.b })))),
    named('mixed_7a', reductionBResNet(o, 'v1')),
    named('repeat_3', numbered(times(c - 1, () => inceptionResNetC(o, 'v1', { scale: s.c })))),
    named('block8', inceptionResNetC(o, 'v1', { scale: 1, relu: false })),
    ...classifierHead(opts, o, 'logits'),
  )
}
