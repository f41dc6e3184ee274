import { Layer, batchNorm, conv2d, named, serial } from '../lib/nn'
import { Padding } from '../lib/ops'
import { BlockOptions } from './options'

/**
 * The spec's "Conv" unit (timm's BasicConv2d): convolution without bias, batch norm, ReLU, and the
 * Inception-ResNet "Linear 1x1" projection. Filter counts scale with the options' width.
 *
 * @example
 * conv(o, 64, [1, 7])              // features.N.branch1.1.conv.weight, ...bn.weight
 * conv(o, 384, 3, 2, 'valid')      // stride 2, valid (or 'same' with o.sameStride2)
 */
export const widthOf = (o: BlockOptions, filters: number): number => Math.max(1, Math.round(filters * o.width))

export const paddingOf = (o: BlockOptions, stride: number, padding: Padding): Padding => (stride > 1 && o.sameStride2 ? 'same' : padding)

/** "Conv" in the spec: convolution without bias, batch norm, ReLU; timm's BasicConv2d (conv, bn). */
export const conv = (o: BlockOptions, filters: number, kernel: number | [number, number], stride = 1, padding: Padding = 'same'): Layer =>
  serial(
    named('conv', conv2d({ filters: widthOf(o, filters), kernel, stride, padding: paddingOf(o, stride, padding) })),
    named('bn', batchNorm({ scale: o.gamma, epsilon: o.epsilon, decay: o.decay, relu: true })),
  )

/** "Linear 1x1": the Inception-ResNet projection back to the block's input width, with bias. */
export const linear1x1 = (channels: number): Layer => named('conv2d', conv2d({ filters: channels, kernel: 1, bias: true }))
