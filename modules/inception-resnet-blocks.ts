import { Layer, branches, named, residual, numbered, serial } from '../lib/nn'
import { conv, linear1x1 } from './basic-conv'
import { BlockOptions } from './options'

/**
 * Inception-ResNet blocks (spec §1.11): branches, a Linear 1x1 back to the input width, then
 * ReLU(x + scale · up). The final block of each network has scale 1.0 and no ReLU.
 *
 * @example
 * inceptionResNetC(o, 'v2', { scale: 1, relu: false }) // the final block8
 */
export interface ResidualBlockOptions {
  readonly scale: number
  readonly relu?: boolean
}

const block = (body: Layer[], r: ResidualBlockOptions): Layer =>
  residual(channels => serial(branches(...body), linear1x1(channels)), { scale: r.scale, activation: r.relu === false ? 'none' : 'relu' })

/**
 * IR-A, 35x35 (Block35). v1: 32/32,32/32,32,32; v2: 32/32,32/32,48,64.
 *
 * @example
 * inceptionResNetA(blockOptions({}), 'v2', { scale: 0.17 })
 */
export const inceptionResNetA = (o: BlockOptions, version: 'v1' | 'v2', r: ResidualBlockOptions = { scale: 0.17 }): Layer =>
  block([
    named('branch0', conv(o, 32, 1)),
    named('branch1', numbered([conv(o, 32, 1), conv(o, 32, 3)])),
    named('branch2', numbered([conv(o, 32, 1), conv(o, version === 'v1' ? 32 : 48, 3), conv(o, version === 'v1' ? 32 : 64, 3)])),
  ], r)

/**
 * IR-B, 17x17 (Block17). v1: 128/128,128,128; v2: 192/128,160,192.
 *
 * @example
 * inceptionResNetB(blockOptions({}), 'v2', { scale: 0.1 })
 */
export const inceptionResNetB = (o: BlockOptions, version: 'v1' | 'v2', r: ResidualBlockOptions = { scale: 0.1 }): Layer => {
  const [b0, b1a, b1b, b1c] = version === 'v1' ? [128, 128, 128, 128] : [192, 128, 160, 192]
  return block([
    named('branch0', conv(o, b0, 1)),
    named('branch1', numbered([conv(o, b1a, 1), conv(o, b1b, [1, 7]), conv(o, b1c, [7, 1])])),
  ], r)
}

/**
 * IR-C, 8x8 (Block8). v1: 192/192,192,192; v2: 192/192,224,256.
 *
 * @example
 * inceptionResNetC(blockOptions({}), 'v1', { scale: 0.2 })
 */
export const inceptionResNetC = (o: BlockOptions, version: 'v1' | 'v2', r: ResidualBlockOptions = { scale: 0.2 }): Layer => {
  const [b1b, b1c] = version === 'v1' ? [192, 192] : [224, 256]
  return block([
    named('branch0', conv(o, 192, 1)),
    named('branch1', numbered([conv(o, 192, 1), conv(o, b1b, [1, 3]), conv(o, b1c, [3, 1])])),
  ], r)
}
