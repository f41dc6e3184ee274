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
}

export const blockOptions = (o: NetworkOptions): BlockOptions => ({ ...DEFAULT_BLOCK_OPTIONS, ...o })

export const DEFAULT_SCALES = { a: 0.17, b: 0.1, c: 0.2 } as const

/** n layers from a factory, for the repeated blocks. */
export const times = <A>(n: number, f: (i: number) => A): A[] => Array.from({ length: n }, (_, i) => f(i))
