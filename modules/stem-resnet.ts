import { Layer, branches, named, numbered } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'
import { avgPool3x3s1, maxPool3x3s2 } from './pools'

/** The layers both Inception-ResNet stems share, with timm / facenet-pytorch names (spec §1.2, §1.3). */
const common = (o: BlockOptions): Layer[] => [
  named('conv2d_1a', conv(o, 32, 3, 2, 'valid')),
  named('conv2d_2a', conv(o, 32, 3, 1, 'valid')),
  named('conv2d_2b', conv(o, 64, 3, 1, 'same')),
  named('maxpool_3a', maxPool3x3s2(o)),
  named('conv2d_3b', conv(o, 80, 1, 1, 'valid')),
  named('conv2d_4a', conv(o, 192, 3, 1, 'valid')),
]

/**
 * Inception-ResNet-v1 stem → 35x35x256.
 *
 * @example
 * serial(...stemResNetV1(blockOptions({})))
 */
export const stemResNetV1 = (o: BlockOptions): Layer[] => [...common(o), named('conv2d_4b', conv(o, 256, 3, 2, 'valid'))]

/**
 * Inception-ResNet-v2 stem as released (TF-slim; Inception-v3-like, with Mixed_5b) → 35x35x320.
 *
 * @example
 * serial(...stemResNetV2(blockOptions({})))
 */
export const stemResNetV2 = (o: BlockOptions): Layer[] => [
  ...common(o),
  named('maxpool_5a', maxPool3x3s2(o)),
  named('mixed_5b', branches(
    named('branch0', conv(o, 96, 1)),
    named('branch1', numbered([conv(o, 48, 1), conv(o, 64, 5)])),
    named('branch2', numbered([conv(o, 64, 1), conv(o, 96, 3), conv(o, 96, 3)])),
    named('branch3', numbered([avgPool3x3s1(), conv(o, 64, 1)])),
  )),
]
