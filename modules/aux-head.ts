import { Layer, avgPool, deferred, dense, globalAvgPool, named, serial } from '../lib/nn'
import { conv } from './basic-conv'
import { BlockOptions } from './options'

/**
 * The auxiliary classifier of TF-slim (spec §3.4; not in the paper, dropped by timm and Keras): on
 * the 17x17 features, AvgPool 5x5/3 V, Conv 1x1 128, Conv 768 with a kernel as large as the map
 * (5x5 V at 299x299), then a fully connected layer. Its loss weighs 0.4 in TF-slim's training.
 *
 * @example
 * named('aux_logits', auxHead(blockOptions({}), 1000)) // on the 17×17 features
 */
export const auxHead = (o: BlockOptions, classes: number): Layer =>
  serial(
    avgPool({ size: 5, stride: 3, padding: 'valid' }),
    named('conv0', conv(o, 128, 1)),
    named('conv1', deferred('conv 768, kernel = map size', s => conv(o, 768, [s[1]!, s[2]!], 1, 'valid'))),
    globalAvgPool(),
    named('fc', dense(classes)),
  )
