import { Layer, branches, named, serial } from '../lib/nn'
import { BlockOptions, DEFAULT_BLOCK_OPTIONS } from './options'

/** What the three network constructors accept (all optional; defaults build the released networks). */
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
}

export const blockOptions = (o: NetworkOptions): BlockOptions => ({ ...DEFAULT_BLOCK_OPTIONS, ...o })

export const DEFAULT_SCALES = { a: 0.17, b: 0.1, c: 0.2 } as const

/**
 * The main path continues with `rest`; the auxiliary head branches off beside it and its logits
 * are concatenated after the main ones.
 */
export const withAux = (rest: Layer[], aux: Layer): Layer => branches(serial(...rest), named('aux_logits', aux))

/** Layers named by their index from `offset` (a slice of an nn.Sequential keeps its numbering). */
export const indexed = (layers: readonly Layer[], offset = 0): Layer => serial(...layers.map((l, i) => named(String(offset + i), l)))

/** n layers from a factory, for the repeated blocks. */
export const times = <A>(n: number, f: (i: number) => A): A[] => Array.from({ length: n }, (_, i) => f(i))
