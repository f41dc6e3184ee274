import { Tree, flatten } from '../../lib/nn'

/** float32's unit roundoff, 2^-24. */
export const UNIT_ROUNDOFF = 2 ** -24

/**
 * How far two float32 computations of one training step may drift apart by rounding alone, as a
 * relative L2 distance per tensor. A sum of n float32 terms is off by about √n · u (the
 * probabilistic bound of Higham and Mary, 2019, λ√n·u with λ of order 1 at high probability); a
 * gradient passes through the step's `depth` reductions (forward, input gradient, filter gradient)
 * of at most `terms` values each, and independent errors add in quadrature: √(depth · terms) · u.
 * Anything past it is not rounding: a wrong tap, a dropped term, a stale buffer.
 *
 * @example
 * roundingTolerance(3 * 176, 20_000) // ≈ 1.9e-4
 */
export const roundingTolerance = (depth: number, terms: number): number => Math.sqrt(depth * terms) * UNIT_ROUNDOFF

/** ‖a − b‖ / max(‖b‖, floor): relative L2 distance, with a floor for tensors whose exact value is 0. */
export const relativeL2 = (a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number => {
  let d = 0
  let n = 0
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2
    n += b[i]! ** 2
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), floor, 1e-300)
}

/** The largest of the leaves' L2 norms: the scale of a gradient tree. */
export const largestNorm = (tree: Tree): number =>
  Math.max(0, ...flatten(tree).map(([, t]) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0))))
