import { Layer, avgPool, batchNorm, conv2d, maxPool, named, serial } from '../lib/nn'
import { Padding } from '../lib/ops'

/**
 * Options every block takes. The defaults build the released (REF) networks as timm holds them:
 * affine batch norm (gamma on), epsilon 1e-3, TF's decay 0.9997, full width, 'valid' stride-2 layers.
 */
export interface BlockOptions {
  /** Batch-norm gamma: timm's ports have it (all ones), TF-slim and Keras do not. */
  readonly gamma: boolean
  readonly epsilon: number
  readonly decay: number
  /** Multiplies every filter count (rounded, at least 1): small networks for experiments and tests. */
  readonly width: number
  /** Makes every stride-2 layer 'same', so small images (28×28) pass through the valid-padded nets. */
  readonly sameStride2: boolean
  /** 'ref' follows the released code (TF-slim, facenet); 'paper' the figures (spec §1). */
  readonly variant: 'ref' | 'paper'
}

export const DEFAULT_BLOCK_OPTIONS: BlockOptions = {
  gamma: true, epsilon: 1e-3, decay: 0.9997, width: 1, sameStride2: false, variant: 'ref',
}

export const widthOf = (o: BlockOptions, filters: number): number => Math.max(1, Math.round(filters * o.width))

const paddingOf = (o: BlockOptions, stride: number, padding: Padding): Padding => (stride > 1 && o.sameStride2 ? 'same' : padding)

/** "Conv" in the spec: convolution without bias, batch norm, ReLU; timm's BasicConv2d (conv, bn). */
export const conv = (o: BlockOptions, filters: number, kernel: number | [number, number], stride = 1, padding: Padding = 'same'): Layer =>
  serial(
    named('conv', conv2d({ filters: widthOf(o, filters), kernel, stride, padding: paddingOf(o, stride, padding) })),
    named('bn', batchNorm({ scale: o.gamma, epsilon: o.epsilon, decay: o.decay, relu: true })),
  )

/** "Linear 1x1": the Inception-ResNet projection back to the block's input width, with bias. */
export const linear1x1 = (channels: number): Layer => named('conv2d', conv2d({ filters: channels, kernel: 1, bias: true }))

/** MaxPool 3x3/2 V. */
export const maxPool3x3s2 = (o: BlockOptions): Layer => maxPool({ size: 3, stride: 2, padding: paddingOf(o, 2, 'valid') })

/** AvgPool 3x3/1 S (the divisor excludes padding). */
export const avgPool3x3s1 = (): Layer => avgPool({ size: 3, stride: 1, padding: 'same' })
