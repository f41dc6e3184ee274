import { Backend } from '../backend'
import { Tensor, sameShape, shapeToString } from '../tensor'
import { launch, keyOf } from './internal/launch'

/**
 * Elementwise kernels over a tensor seen as [rows, C] with C its last dimension: thread.x runs over
 * channels (the SIMD lanes), thread.y over rows, so per-channel vectors are indexed by thread.x
 * directly. `expr` is the body's return expression over `a[i]`, `b[i]`, per-channel `u[c]`, `v[c]`,
 * `w[c]` and the scalar `s`.
 */
const source = (expr: string): string => `function (a, b, u, v, w, s) {
  const c = this.thread.x;
  const i = this.thread.y * this.constants.C + c;
  return ${expr};
}`

export interface Elementwise {
  readonly name: string
  readonly expr: string
}

const EMPTY = new Float32Array(4)

export const mapChannels = async (
  op: Elementwise, a: Tensor,
  inputs: { b?: Tensor; u?: Float32Array; v?: Float32Array; w?: Float32Array; s?: number } = {},
  be: Backend,
): Promise<Tensor> => {
  if (inputs.b && !sameShape(a.shape, inputs.b.shape)) {
    throw new RangeError(`${op.name}: operands differ in shape: ${shapeToString(a.shape)} and ${shapeToString(inputs.b.shape)}`)
  }
  const c = a.shape[a.rank - 1]!
  for (const k of ['u', 'v', 'w'] as const) {
    const vec = inputs[k]
    if (vec && vec.length !== c) throw new RangeError(`${op.name}: per-channel vector '${k}' has ${vec.length} values, the tensor has ${c} channels`)
  }
  const rows = a.size / c
  const spec = { key: keyOf('map', op.name, c, rows), source: source(op.expr), output: [c, rows], constants: { C: c } }
  const args = [a.data, inputs.b?.data ?? EMPTY, inputs.u ?? EMPTY, inputs.v ?? EMPTY, inputs.w ?? EMPTY, inputs.s ?? 0]
  return Tensor.adopt(a.shape, await launch(be, spec, args, a.size))
}

export const RELU: Elementwise = { name: 'relu', expr: 'Math.max(a[i], 0)' }
/** dy where the ReLU's output was positive (a = y, b = dy). */
export const RELU_GRAD: Elementwise = { name: 'relu.grad', expr: 'Math.sign(Math.max(a[i], 0)) * b[i]' }
export const ADD: Elementwise = { name: 'add', expr: 'a[i] + b[i]' }
export const SCALED_ADD: Elementwise = { name: 'scaledAdd', expr: 'a[i] + s * b[i]' }
export const SCALE: Elementwise = { name: 'scale', expr: 's * a[i]' }
export const MUL: Elementwise = { name: 'mul', expr: 'a[i] * b[i]' }
/** x · u[c] + v[c]: batch norm folded to one scale and shift per channel. */
export const CHANNEL_AFFINE: Elementwise = { name: 'channelAffine', expr: 'a[i] * u[c] + v[c]' }
export const CHANNEL_AFFINE_RELU: Elementwise = { name: 'channelAffine.relu', expr: 'Math.max(a[i] * u[c] + v[c], 0)' }
/** dy · u[c] + x · v[c] + w[c]: batch norm's input gradient in training mode, expanded. */
export const CHANNEL_AFFINE2: Elementwise = { name: 'channelAffine2', expr: 'a[i] * u[c] + b[i] * v[c] + w[c]' }

export const relu = (x: Tensor, be: Backend) => mapChannels(RELU, x, {}, be)
export const reluGrad = (y: Tensor, dy: Tensor, be: Backend) => mapChannels(RELU_GRAD, y, { b: dy }, be)
export const add = (a: Tensor, b: Tensor, be: Backend) => mapChannels(ADD, a, { b }, be)
/** a + scale · b: the residual sum of Inception-ResNet blocks. */
export const scaledAdd = (a: Tensor, b: Tensor, scale: number, be: Backend) => mapChannels(SCALED_ADD, a, { b, s: scale }, be)
export const scale = (a: Tensor, s: number, be: Backend) => mapChannels(SCALE, a, { s }, be)
export const mul = (a: Tensor, b: Tensor, be: Backend) => mapChannels(MUL, a, { b }, be)
