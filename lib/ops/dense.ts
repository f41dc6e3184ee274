import { Backend } from '../backend'
import { Tensor, shapeToString } from '../tensor'
import { matmulFlat } from './matmul'
import { reduceRows } from './internal/reduce'

/** Fully connected layer: y[N, O] = x[N, I] · W[I, O] + b[O]; gradients through the same matmul kernel. */
const check = (x: Tensor, w: Tensor, what: string) => {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new RangeError(`${what}: expected x [N, I] and weight [I, O], got ${shapeToString(x.shape)} and ${shapeToString(w.shape)}`)
  }
  return { n: x.shape[0]!, i: x.shape[1]!, o: w.shape[1]! }
}

/**
 * x · w + bias for x [N, I], w [I, O].
 *
 * @example
 * const logits = await dense(features, w, bias, backend) // [n, i] · [i, o] + [o]
 */
export const dense = async (x: Tensor, w: Tensor, bias: Tensor | undefined, be: Backend): Promise<Tensor> => {
  const { n, i, o } = check(x, w, 'dense')
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) throw new RangeError(`dense: bias must be [${o}], got ${shapeToString(bias.shape)}`)
  return Tensor.adopt([n, o], await matmulFlat(be, x.data, w.data, n, i, o, {}, bias?.data))
}

/**
 * The gradients of dense with respect to its input, weights and bias.
 *
 * @example
 * const { dx, dw, db } = await denseGrad(x, w, dy, backend)
 */
export const denseGrad = async (x: Tensor, w: Tensor, dy: Tensor, backend: Backend): Promise<{ dx: Tensor; dw: Tensor; db: Tensor }> => {
  const { n, i, o } = check(x, w, 'dense gradient')
  const [dx, dw, db] = await Promise.all([
    matmulFlat(backend, dy.data, w.data, n, o, i, { transposeB: true }),
    matmulFlat(backend, x.data, dy.data, i, n, o, { transposeA: true }),
    reduceRows('sum', dy.data, o, {}, backend),
  ])
  return { dx: Tensor.adopt([n, i], dx), dw: Tensor.adopt([i, o], dw), db: Tensor.adopt([o], Float32Array.from(db)) }
}
