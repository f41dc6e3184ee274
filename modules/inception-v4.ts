import { Layer, named, numbered, serial } from '../lib/nn'
import { auxHead } from './aux-head'
import { inceptionA } from './inception-a'
import { inceptionB } from './inception-b'
import { inceptionC } from './inception-c'
import { NetworkOptions, blockOptions, classifierHead, times, withAux } from './network-options'
import { REDUCTION_A, reductionA } from './reduction-a'
import { reductionBV4 } from './reduction-b'
import { stemV4 } from './stem-v4'

/**
 * Inception-v4 (spec §3.1): stem, 4 × A, Reduction-A(192, 224, 256, 384), 7 × B, Reduction-B,
 * 3 × C, global average pool, dropout (keep 0.8), classifier. Parameter paths are timm's
 * (`features.N...`, `last_linear`), so timm's inception_v4 weights load by name; the optional
 * auxiliary head is `aux_logits`.
 *
 * @example
 * const net = inceptionV4({ classes: 10, width: 1 / 4 })
 * const { params, state } = net.init(keyFromSeed(0), [8, 299, 299, 3])
 */
export const inceptionV4 = (opts: NetworkOptions = {}): Layer => {
  const o = blockOptions(opts)
  const [a, b, c] = opts.repeats ?? [4, 7, 3]
  const classes = opts.classes ?? 1000
  const blocks = [
    ...stemV4(o),
    ...times(a, () => inceptionA(o)),
    reductionA(o, REDUCTION_A.inceptionV4),
    ...times(b, () => inceptionB(o)),
    reductionBV4(o),
    ...times(c, () => inceptionC(o)),
  ]
  const head = classifierHead(opts, o, 'last_linear')
  if (!opts.aux) return serial(named('features', numbered(blocks)), ...head)
  // The auxiliary head reads the output of the last Inception-B block (TF-slim's Mixed_6h).
  const cut = blocks.length - c - 1
  return serial(
    named('features', numbered(blocks.slice(0, cut))),
    withAux([named('features', numbered(blocks.slice(cut), cut)), ...head], auxHead(o, classes)),
  )
}
