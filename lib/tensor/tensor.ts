import { Shape, checkShape, sizeOf, shapeToString } from './shape'

/**
 * An immutable float32 tensor. Ops never write into a tensor's data: they return new tensors.
 * `data` is exposed for speed (kernels read it directly); treat it as read-only. The wrapper and
 * its shape are frozen so accidental reassignment fails loudly.
 *
 * @example
 * const x = Tensor.fromArray([2, 2], [1, 2, 3, 4])
 * x.reshape([4]).toArray() // [1, 2, 3, 4]
 */
export class Tensor {
  readonly shape: Shape
  readonly data: Float32Array

  private constructor(shape: Shape, data: Float32Array) {
    this.shape = shape
    this.data = data
    Object.freeze(this)
  }

  get size(): number {
    return this.data.length
  }

  get rank(): number {
    return this.shape.length
  }

  /** Wraps data without copying; the caller hands over ownership. Used by ops for fresh outputs. */
  static adopt(shape: Shape, data: Float32Array): Tensor {
    const s = checkShape(shape)
    if (sizeOf(s) !== data.length) {
      throw new RangeError(`tensor: shape ${shapeToString(s)} holds ${sizeOf(s)} values, data has ${data.length}`)
    }
    return new Tensor(s, data)
  }

  /** Copies values from a flat array (or typed array) into a new tensor; the length must match the shape. */
  static fromArray(shape: Shape, values: ArrayLike<number>): Tensor {
    const s = checkShape(shape)
    if (values.length !== sizeOf(s)) {
      throw new RangeError(`tensor: shape ${shapeToString(s)} needs ${sizeOf(s)} values, got ${values.length}`)
    }
    return new Tensor(s, Float32Array.from(values))
  }

  /** Builds a tensor from nested arrays; the nesting must be rectangular. */
  static fromNested(values: unknown): Tensor {
    const shape: number[] = []
    let probe: unknown = values
    while (Array.isArray(probe)) {
      shape.push(probe.length)
      probe = probe[0]
    }
    const flat: number[] = []
    const walk = (v: unknown, depth: number, path: string): void => {
      if (depth === shape.length) {
        if (typeof v !== 'number') throw new TypeError(`tensor: expected a number at ${path}, got ${typeof v}`)
        flat.push(v)
        return
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new RangeError(`tensor: ragged nesting at ${path}: expected an array of ${shape[depth]}`)
      }
      v.forEach((e, i) => walk(e, depth + 1, `${path}[${i}]`))
    }
    walk(values, 0, 'values')
    return Tensor.fromArray(shape, flat)
  }

  static fill(shape: Shape, value: number): Tensor {
    const s = checkShape(shape)
    return new Tensor(s, new Float32Array(sizeOf(s)).fill(value))
  }

  static zeros(shape: Shape): Tensor {
    return Tensor.fill(shape, 0)
  }

  static ones(shape: Shape): Tensor {
    return Tensor.fill(shape, 1)
  }

  /** Same data, new shape of equal size (no copy: the data is never written). */
  reshape(shape: Shape): Tensor {
    const s = checkShape(shape, 'reshape')
    if (sizeOf(s) !== this.size) {
      throw new RangeError(`reshape: cannot view ${shapeToString(this.shape)} (${this.size} values) as ${shapeToString(s)}`)
    }
    return new Tensor(s, this.data)
  }

  /** Values as a plain number array (a copy). */
  toArray(): number[] {
    return Array.from(this.data)
  }

  toString(): string {
    return `Tensor${shapeToString(this.shape)}`
  }
}
