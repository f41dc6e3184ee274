import { Key, bits } from './key'
import { Shape, checkShape, sizeOf } from './shape'
import { Tensor } from './tensor'

/** Uniform in [0, 1) with 24 bits, exactly representable in float32. */
const unit = (key: Key, i: number): number => (bits(key, i) >>> 8) / 16777216

/**
 * Uniform values in [low, high) drawn from (key, element index).
 *
 * @example
 * const u = uniform(keyFromSeed(0), [2, 3], -1, 1)
 */
export const uniform = (key: Key, shape: Shape, low = 0, high = 1): Tensor => {
  const s = checkShape(shape, 'uniform')
  const out = new Float32Array(sizeOf(s))
  for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * unit(key, i)
  return Tensor.adopt(s, out)
}

/** Box-Muller on two independent counters per value: element i depends only on (key, i). */
const gaussian = (key: Key, i: number): number => {
  const u1 = ((bits(key, 2 * i) >>> 8) + 1) / 16777217
  const u2 = unit(key, 2 * i + 1)
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

/**
 * Normal values (Box-Muller) drawn from (key, element index).
 *
 * @example
 * const w = normal(keyFromSeed(0), [3, 3, 8, 16], 0, 0.05)
 */
export const normal = (key: Key, shape: Shape, mean = 0, stddev = 1): Tensor => {
  const s = checkShape(shape, 'normal')
  const out = new Float32Array(sizeOf(s))
  for (let i = 0; i < out.length; i++) out[i] = mean + stddev * gaussian(key, i)
  return Tensor.adopt(s, out)
}

/**
 * Normal truncated to two standard deviations by redrawing (TensorFlow's truncated_normal, used by
 * TF-slim's initialisers). Redraws use fresh counters past the tensor's own range, so the result
 * still depends only on the key and the shape.
 *
 * @example
 * const w = truncatedNormal(keyFromSeed(0), [3, 3, 8, 16], 0, 0.05)
 */
export const truncatedNormal = (key: Key, shape: Shape, mean = 0, stddev = 1): Tensor => {
  const s = checkShape(shape, 'truncatedNormal')
  const n = sizeOf(s)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    let z = gaussian(key, i)
    for (let attempt = 1; Math.abs(z) > 2; attempt++) z = gaussian(key, i + attempt * n)
    out[i] = mean + stddev * z
  }
  return Tensor.adopt(s, out)
}
