import { Layer, avgPool, maxPool } from '../lib/nn'
import { paddingOf } from './basic-conv'
import { BlockOptions } from './options'

/**
 * The pooling layers the blocks share. MaxPool 3x3/2 V ('same' with o.sameStride2).
 *
 * @example
 * branches(maxPool3x3s2(o), conv(o, 96, 3, 2, 'valid'))
 */
export const maxPool3x3s2 = (o: BlockOptions): Layer => maxPool({ size: 3, stride: 2, padding: paddingOf(o, 2, 'valid') })

/**
 * AvgPool 3x3/1 S (the divisor excludes padding).
 *
 * @example
 * named('branch3', numbered([avgPool3x3s1(), conv(o, 96, 1)]))
 */
export const avgPool3x3s1 = (): Layer => avgPool({ size: 3, stride: 1, padding: 'same' })
