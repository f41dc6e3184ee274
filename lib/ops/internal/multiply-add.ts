import { Backend } from '../../backend'

/**
 * `acc += p1 + p2` for a reduction step of two products. Without fused multiply-add the two
 * products are summed first (two independent multiplies shorten the accumulator's dependency
 * chain); where the backend fuses (webasm with relaxed SIMD: `acc + a * b` is one f32x4.relaxed_madd)
 * it is two statements, so each product fuses into the accumulator: two instructions instead of
 * two multiplies and two adds. The order of the sums differs, so the source depends on the
 * backend (each backend has its own kernel cache).
 *
 * @example
 * accumulatePair(be, 's0', 'x[r0] * wa', 'x[r0 + 1] * wb') // 's0 += x[r0] * wa + x[r0 + 1] * wb;'
 */
export const accumulatePair = (be: Backend, acc: string, p1: string, p2: string): string =>
  be.capabilities.fusedMultiplyAdd ? `${acc} += ${p1}; ${acc} += ${p2};` : `${acc} += ${p1} + ${p2};`
