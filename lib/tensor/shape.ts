/**
 * Shapes are plain readonly arrays of positive integers; NHWC for images, [N, K] for features.
 *
 * @example
 * const s: Shape = [8, 35, 35, 384] // NHWC
 */
export type Shape = readonly number[]

/**
 * The number of values a shape holds.
 *
 * @example
 * sizeOf([2, 3, 4]) // 24
 */
export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1)

/**
 * A shape as text, for messages.
 *
 * @example
 * shapeToString([1, 299, 299, 3]) // '[1, 299, 299, 3]'
 */
export const shapeToString = (shape: Shape): string => `[${shape.join(', ')}]`

/**
 * True when two shapes are equal.
 *
 * @example
 * sameShape(a.shape, b.shape)
 */
export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/**
 * Throws unless every dimension is a positive integer (zero-sized tensors are never meaningful here).
 *
 * @example
 * checkShape([2, 0]) // throws: dimension 1 must be a positive integer
 */
export const checkShape = (shape: Shape, what = 'shape'): Shape => {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new RangeError(`${what}: expected a non-empty array of dimensions, got ${JSON.stringify(shape)}`)
  }
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d <= 0) {
      throw new RangeError(`${what}: dimension ${i} must be a positive integer, got ${d} in ${shapeToString(shape)}`)
    }
  })
  return Object.freeze([...shape])
}

/**
 * NHWC dimensions of a rank-4 shape, with a clear error otherwise.
 *
 * @example
 * const { n, h, w, c } = nhwc(x.shape, 'stem input')
 */
export const nhwc = (shape: Shape, what = 'input'): { n: number; h: number; w: number; c: number } => {
  if (shape.length !== 4) {
    throw new RangeError(`${what}: expected a rank-4 NHWC shape, got ${shapeToString(shape)}`)
  }
  const [n, h, w, c] = shape as [number, number, number, number]
  return { n, h, w, c }
}
