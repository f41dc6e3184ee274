import { Backend } from '../backend'
import { Tensor, sameShape, shapeToString } from '../tensor'
import { launch, keyOf } from './internal/launch'
import { inSlices } from './internal/split'

/**
 * Elementwise kernels over a tensor seen as [rows, C] with C its last dimension: thread.x runs over
 * channels (the SIMD lanes), thread.y over rows, so per-channel vectors are indexed by thread.x
 * directly. `expr` is the body's return expression over `a[i]`, `b[i]`, `t[i]`, per-channel `u[c]`,
 * `v[c]`, `w[c]` and the scalar `s`.
 */
const source = (expr: string): string => `function (a, b, t, u, v, w, s) {
  const c = this.thread.x;
  const i = this.thread.y * this.constants.C + c;
  return ${expr};
}`

/**
 * An element-wise kernel: a name (part of the cache key) and the body's return expression.
 *
 * @example
 * const SQUARE: Elementwise = { name: 'square', expr: 'a[i] * a[i]' }
 */
export interface Elementwise {
  readonly name: string
  readonly expr: string
}

const EMPTY = new Float32Array(4)

/**
 * Runs an element-wise kernel over a tensor seen as [rows, C]; b is a second tensor of the same shape, u, v, w per-channel vectors, s a scalar.
 *
 * @example
 * const y = await mapChannels({ name: 'square', expr: 'a[i] * a[i]' }, x, {}, backend)
 */
export const mapChannels = async (
  op: Elementwise, a: Tensor,
  inputs: { b?: Tensor; t?: Tensor; u?: Float32Array; v?: Float32Array; w?: Float32Array; s?: number } = {},
  be: Backend,
): Promise<Tensor> => {
  for (const other of [inputs.b, inputs.t]) {
    if (other && !sameShape(a.shape, other.shape)) {
      throw new RangeError(`${op.name}: operands differ in shape: ${shapeToString(a.shape)} and ${shapeToString(other.shape)}`)
    }
  }
  const c = a.shape[a.rank - 1]!
  for (const k of ['u', 'v', 'w'] as const) {
    const vec = inputs[k]
    if (vec && vec.length !== c) throw new RangeError(`${op.name}: per-channel vector '${k}' has ${vec.length} values, the tensor has ${c} channels`)
  }
  const rows = a.size / c
  const out = await inSlices(op.name, rows, c, (start, count) => {
    const spec = { key: keyOf('map', op.name, c, count), source: source(op.expr), output: [c, count], constants: { C: c } }
    const slice = (t: Tensor | undefined) => t ? t.data.subarray(start * c, (start + count) * c) : EMPTY
    return launch(be, spec, [slice(a), slice(inputs.b), slice(inputs.t), inputs.u ?? EMPTY, inputs.v ?? EMPTY, inputs.w ?? EMPTY, inputs.s ?? 0], count * c)
  })
  return Tensor.adopt(a.shape, out)
}

/**
 * max(a, 0).
 *
 * @example
 * await mapChannels(RELU, x, {}, backend)
 */
export const RELU: Elementwise = { name: 'relu', expr: 'Math.max(a[i], 0)' }
/**
 * dy where the ReLU's output was positive (a = y, b = dy). The 0/1 mask is min(ceil(max(y, 0)), 1):
 * native f32 instructions, where Math.sign is a call out of WebAssembly into JavaScript per element
 * on gpu.js's webasm backend (3.5× slower on a batch-norm gradient's reduction).
 *
 * @example
 * await mapChannels(RELU_GRAD, y, { b: dy }, backend)
 */
export const RELU_GRAD: Elementwise = { name: 'relu.grad', expr: 'Math.min(Math.ceil(Math.max(a[i], 0)), 1) * b[i]' }
/**
 * a + b.
 *
 * @example
 * await mapChannels(ADD, a, { b }, backend)
 */
export const ADD: Elementwise = { name: 'add', expr: 'a[i] + b[i]' }
/**
 * a + s · b.
 *
 * @example
 * await mapChannels(SCALED_ADD, a, { b, s: 0.17 }, backend)
 */
export const SCALED_ADD: Elementwise = { name: 'scaledAdd', expr: 'a[i] + s * b[i]' }
/**
 * max(a + s · b, 0): the residual sum and its ReLU in one pass.
 *
 * @example
 * await mapChannels(SCALED_ADD_RELU, a, { b, s: 0.17 }, backend)
 */
export const SCALED_ADD_RELU: Elementwise = { name: 'scaledAddRelu', expr: 'Math.max(a[i] + s * b[i], 0)' }
/**
 * s · a.
 *
 * @example
 * await mapChannels(SCALE, a, { s: 2 }, backend)
 */
export const SCALE: Elementwise = { name: 'scale', expr: 's * a[i]' }
/**
 * a · b element-wise.
 *
 * @example
 * await mapChannels(MUL, a, { b }, backend)
 */
export const MUL: Elementwise = { name: 'mul', expr: 'a[i] * b[i]' }
/**
 * x · u[c] + v[c]: batch norm folded to one scale and shift per channel.
 *
 * @example
 * await mapChannels(CHANNEL_AFFINE, x, { u: scale, v: shift }, backend)
 */
export const CHANNEL_AFFINE: Elementwise = { name: 'channelAffine', expr: 'a[i] * u[c] + v[c]' }
/**
 * max(x · u[c] + v[c], 0): batch norm folded, then ReLU.
 *
 * @example
 * await mapChannels(CHANNEL_AFFINE_RELU, x, { u: scale, v: shift }, backend)
 */
export const CHANNEL_AFFINE_RELU: Elementwise = { name: 'channelAffine.relu', expr: 'Math.max(a[i] * u[c] + v[c], 0)' }
/**
 * dy · u[c] + x · v[c] + w[c]: batch norm's input gradient in training mode, expanded.
 *
 * @example
 * await mapChannels(CHANNEL_AFFINE2, dy, { b: x, u, v, w }, backend)
 */
export const CHANNEL_AFFINE2: Elementwise = { name: 'channelAffine2', expr: 'a[i] * u[c] + b[i] * v[c] + w[c]' }
/**
 * CHANNEL_AFFINE2 of a·[t > 0] (t ≥ 0, a ReLU's output): batch norm's input gradient through its fused ReLU.
 *
 * @example
 * const dx = await mapChannels(CHANNEL_AFFINE2_MASKED, dy, { b: x, t: y, u: k, v: u, w: v }, backend)
 */
export const CHANNEL_AFFINE2_MASKED: Elementwise = { name: 'channelAffine2.masked', expr: 'Math.min(Math.ceil(Math.max(t[i], 0)), 1) * a[i] * u[c] + b[i] * v[c] + w[c]' }

/**
 * max(x, 0) element-wise.
 *
 * @example
 * const y = await relu(x, backend)
 */
export const relu = (x: Tensor, be: Backend) => mapChannels(RELU, x, {}, be)
/**
 * The gradient of ReLU given its output y: dy where y > 0.
 *
 * @example
 * const dx = await reluGrad(y, dy, backend) // y: the ReLU's output
 */
export const reluGrad = (y: Tensor, dy: Tensor, be: Backend) => mapChannels(RELU_GRAD, y, { b: dy }, be)
/**
 * a + b (same shapes).
 *
 * @example
 * const z = await add(a, b, backend)
 */
export const add = (a: Tensor, b: Tensor, be: Backend) => mapChannels(ADD, a, { b }, be)
/**
 * a + scale · b: the residual sum of Inception-ResNet blocks.
 *
 * @example
 * const y = await scaledAdd(x, residual, 0.17, backend)
 */
export const scaledAdd = (a: Tensor, b: Tensor, scale: number, be: Backend) => mapChannels(SCALED_ADD, a, { b, s: scale }, be)
/**
 * max(0, a + scale · b): an Inception-ResNet block's residual sum and ReLU fused, one pass over the
 * activation instead of two (the same float operations, so the same bits as scaledAdd then relu).
 *
 * @example
 * const y = await scaledAddRelu(x, residual, 0.17, backend)
 */
export const scaledAddRelu = (a: Tensor, b: Tensor, scale: number, be: Backend) => mapChannels(SCALED_ADD_RELU, a, { b, s: scale }, be)
/**
 * s · a.
 *
 * @example
 * const half = await scale(x, 0.5, backend)
 */
export const scale = (a: Tensor, s: number, be: Backend) => mapChannels(SCALE, a, { s }, be)
/**
 * a · b element-wise (same shapes).
 *
 * @example
 * const z = await mul(a, b, backend)
 */
export const mul = (a: Tensor, b: Tensor, be: Backend) => mapChannels(MUL, a, { b }, be)
