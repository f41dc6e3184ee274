/**
 * A classifier's logits read as classes: softmax (max-subtracted, in float64) and the k most
 * probable, largest first. What `rxception predict` prints and the browser page shows.
 *
 * @example
 * topClasses(y.data, 5, imagenetNames) // [{ index: 281, class: 'tabby, tabby cat', probability: 0.61 }, ...]
 */
export interface ClassScore {
  readonly index: number
  readonly class: string
  readonly probability: number
}

/**
 * Softmax of one row of logits.
 *
 * @example
 * softmax([0, Math.log(3)]) // [0.25, 0.75]
 */
export const softmax = (z: ArrayLike<number>): number[] => {
  const m = Math.max(...Array.from(z))
  const e = Array.from(z, v => Math.exp(v - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map(v => v / s)
}

/**
 * The k most probable classes of one row of logits, named from `names` where given ('class N' otherwise).
 *
 * @example
 * topClasses([0.1, 2, 0.3], 2) // [{ index: 1, class: 'class 1', ... }, { index: 2, ... }]
 */
export const topClasses = (logits: ArrayLike<number>, k: number, names?: readonly string[]): ClassScore[] =>
  softmax(logits)
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([probability, index]) => ({ index, class: names?.[index] ?? `class ${index}`, probability }))
