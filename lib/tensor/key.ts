/**
 * A splittable pseudo-random key, as in JAX: a pair of 32-bit words. Keys are values; `split` and
 * `foldIn` derive independent children deterministically, so the same seed gives the same
 * initialisation and the same dropout masks on every backend (the numbers are made here, in
 * TypeScript, never inside a kernel).
 *
 * @example
 * const k: Key = keyFromSeed(0)
 */
export type Key = readonly [number, number]

/** murmur3's 32-bit finaliser: a cheap bijective mixer with good avalanche. */
const fmix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * One 32-bit word from (key, counter): a counter-based generator, so any element can be drawn independently.
 *
 * @example
 * bits(keyFromSeed(0), 5) // a 32-bit word, the same on every backend
 */
export const bits = (key: Key, counter: number): number =>
  fmix((key[0] ^ fmix((counter + Math.imul(key[1], 0x9e3779b9)) >>> 0)) >>> 0)

/**
 * A key from an integer seed (the same seed, the same numbers everywhere).
 *
 * @example
 * const [initKey, dropoutKey] = split(keyFromSeed(42))
 */
export const keyFromSeed = (seed: number): Key => {
  if (!Number.isInteger(seed)) throw new TypeError(`key: seed must be an integer, got ${seed}`)
  return [fmix(seed >>> 0 ^ 0x5bd1e995), fmix(((seed / 0x100000000) | 0) ^ 0x27d4eb2f)]
}

/**
 * A child key for `data` (a layer index, a step number), independent of siblings.
 *
 * @example
 * const stepKey = foldIn(runKey, step)
 */
export const foldIn = (key: Key, data: number): Key => {
  const k0 = bits(key, Math.imul(data >>> 0, 2) >>> 0)
  const k1 = bits(key, (Math.imul(data >>> 0, 2) + 1) >>> 0)
  return [fmix(k0 ^ 0x3c6ef372), fmix(k1 ^ 0xa54ff53a)]
}

/**
 * n independent child keys.
 *
 * @example
 * const [a, b, c] = split(keyFromSeed(1), 3)
 */
export const split = (key: Key, n = 2): Key[] => Array.from({ length: n }, (_, i) => foldIn(key, 0x10000 + i))

/**
 * A named child key: the same name under the same parent gives the same key.
 *
 * @example
 * const k = foldInName(keyFromSeed(0), 'features.0.conv.weight')
 */
export const foldInName = (key: Key, name: string): Key => {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return foldIn(key, h >>> 0)
}
