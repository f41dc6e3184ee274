
/**
 * Options every block takes. The defaults build the released (REF) networks as timm holds them:
 * affine batch norm (gamma on), epsilon 1e-3, TF's decay 0.9997, full width, 'valid' stride-2 layers.
 *
 * @example
 * const o: BlockOptions = { ...DEFAULT_BLOCK_OPTIONS, gamma: false, decay: 0.9 }
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

/**
 * The released networks' block options: gamma on, epsilon 1e-3, decay 0.9997, full width, valid stride-2 layers, ref.
 *
 * @example
 * const o = { ...DEFAULT_BLOCK_OPTIONS, width: 0.25 }
 */
export const DEFAULT_BLOCK_OPTIONS: BlockOptions = {
  gamma: true, epsilon: 1e-3, decay: 0.9997, width: 1, sameStride2: false, variant: 'ref',
}
