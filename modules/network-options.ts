import { Layer, batchNorm, branches, dense, dropout, globalAvgPool, named, serial } from '../lib/nn'
import { BlockOptions, DEFAULT_BLOCK_OPTIONS } from './options'

/**
 * What the three network constructors accept (all optional; defaults build the released networks).
 *
 * @example
 * inceptionV4({ classes: 10, width: 0.25, repeats: [1, 1, 1], dropoutKeep: 1, sameStride2: true })
 */
export interface NetworkOptions extends Partial<BlockOptions> {
  /** 1000 (timm, Keras, the paper); TF-slim's checkpoints have 1001 (a background class). */
  readonly classes?: number
  /** Keep probability of the dropout before the classifier (0.8, the paper's and TF-slim's). */
  readonly dropoutKeep?: number
  /** Residual scales of the A, B and C blocks (0.17, 0.10, 0.20). */
  readonly scales?: { readonly a: number; readonly b: number; readonly c: number }
  /** Block repeat counts [A, B, C], for small experiments; defaults per network and variant. */
  readonly repeats?: readonly [number, number, number]
  /**
   * Attach TF-slim's auxiliary classifier (Inception-v4 and IR-v2) on the 17x17 features. The
   * output is then [N, 2 · classes]: the main logits, then the auxiliary ones (weight 0.4 in
   * TF-slim's loss). Needs inputs large enough for its 5x5/3 pooling (299x299 gives a 5x5 map).
   */
  readonly aux?: boolean
  /**
   * An extra batch norm (`pool_norm`, no ReLU) on the last feature map, before the average pooling:
   * one of the remedies the paper tried against dying residual networks (and found wanting).
   */
  readonly poolNorm?: boolean
}

/**
 * Network options completed with the block defaults.
 *
 * @example
 * const o = blockOptions({ width: 0.5 }) // the defaults with width 0.5
 */
export const blockOptions = (o: NetworkOptions): BlockOptions => ({ ...DEFAULT_BLOCK_OPTIONS, ...o })

/**
 * The Inception-ResNet residual scales of the released networks (A 0.17, B 0.10, C 0.20).
 *
 * @example
 * inceptionResNetV2({ scales: { ...DEFAULT_SCALES, a: 0.1 } })
 */
export const DEFAULT_SCALES = { a: 0.17, b: 0.1, c: 0.2 } as const

/**
 * The main path continues with `rest`; the auxiliary head branches off beside it and its logits
 * are concatenated after the main ones.
 *
 * @example
 * withAux([head, classifier], auxHead(o, classes)) // logits [main | aux]
 */
export const withAux = (rest: Layer[], aux: Layer): Layer => branches(serial(...rest), named('aux_logits', aux))


/**
 * n layers from a factory, for the repeated blocks.
 *
 * @example
 * numbered(times(4, () => inceptionA(o)))
 */
export const times = <A>(n: number, f: (i: number) => A): A[] => Array.from({ length: n }, (_, i) => f(i))

/**
 * The classifier head every network ends with: [pool_norm], global average pooling, dropout (keep
 * `dropoutKeep`, 0.8 by default) and the linear classifier under the network's own name.
 *
 * @example
 * serial(...trunk, ...classifierHead(opts, o, 'classif'))
 */
export const classifierHead = (opts: NetworkOptions, o: BlockOptions, classifier: string): Layer[] => [
  ...(opts.poolNorm ? [named('pool_norm', batchNorm({ scale: o.gamma, epsilon: o.epsilon, decay: o.decay }))] : []),
  globalAvgPool(),
  dropout(opts.dropoutKeep ?? 0.8),
  named(classifier, dense(opts.classes ?? 1000)),
]
