/** Largest |a - b| relative to the largest |b| (at least 1e-6, so all-zero references still compare). */
export const relativeError = (actual: ArrayLike<number>, expected: ArrayLike<number>): number => {
  if (actual.length !== expected.length) return Infinity
  let diff = 0
  let scale = 1e-6
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!))
    scale = Math.max(scale, Math.abs(expected[i]!))
  }
  return Number.isFinite(diff) ? diff / scale : Infinity
}

/** Up to `count` indices spread over [0, length), always including the first and the last. */
export const sampleIndices = (length: number, count: number): number[] => {
  if (length <= count) return Array.from({ length }, (_, i) => i)
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - 1)) / (count - 1)))
}

/**
 * Central finite differences of the scalar f at the sampled coordinates of `x` (float64, so the
 * step can be small without cancellation swamping the difference).
 */
export const finiteDifferences = (f: (x: Float64Array) => number, x: Float64Array, indices: readonly number[], h = 1e-4): number[] =>
  indices.map(i => {
    const saved = x[i]!
    x[i] = saved + h
    const up = f(x)
    x[i] = saved - h
    const down = f(x)
    x[i] = saved
    return (up - down) / (2 * h)
  })

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}
