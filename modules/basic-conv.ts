import { Layer, conv2d, convBatchNorm, named } from '../lib/nn'
import { Padding } from '../lib/ops'
import { BlockOptions } from './options'

/**
 * A filter count scaled by the width option (rounded, at least 1).
 *
 * @example
 * widthOf({ ...DEFAULT_BLOCK_OPTIONS, width: 0.125 }, 32) // 4
 */
export const widthOf = (o: BlockOptions, filters: number): number => Math.max(1, Math.round(filters * o.width))

/**
 * A layer's padding: stride-2 layers become 'same' when the options ask.
 *
 * @example
 * paddingOf({ ...DEFAULT_BLOCK_OPTIONS, sameStride2: true }, 2, 'valid') // 'same'
 */
export const paddingOf = (o: BlockOptions, stride: number, padding: Padding): Padding => (stride > 1 && o.sameStride2 ? 'same' : padding)

/**
 * "Conv" in the spec: convolution without bias, batch norm, ReLU; timm's BasicConv2d (conv, bn). In
 * inference the batch norm is folded into the convolution (see convBatchNorm).
 *
 * @example
 * conv(o, 64, [1, 7]) // branch1.1.conv.weight, branch1.1.bn.bias, ...
 * conv(o, 384, 3, 2, 'valid') // stride 2, valid ('same' with o.sameStride2)
 */
export const conv = (o: BlockOptions, filters: number, kernel: number | [number, number], stride = 1, padding: Padding = 'same'): Layer =>
  convBatchNorm(
    { filters: widthOf(o, filters), kernel, stride, padding: paddingOf(o, stride, padding) },
    { scale: o.gamma, epsilon: o.epsilon, decay: o.decay, relu: true },
  )

/**
 * "Linear 1x1": the Inception-ResNet projection back to the block's input width, with bias.
 *
 * @example
 * residual(c => serial(branches(a, b), linear1x1(c)), { scale: 0.17 })
 */
export const linear1x1 = (channels: number): Layer => named('conv2d', conv2d({ filters: channels, kernel: 1, bias: true }))
