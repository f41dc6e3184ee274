import { Backend } from '../backend'
import { Tensor, nhwc } from '../tensor'
import { launch, keyOf } from './internal/launch'
import { batchSlice, byBatch, overLimit } from './internal/split'

/** Global average pooling NHWC → [N, C], and its gradient (dy spread evenly over each image). */
const forwardSource = `function (x) {
  const c = this.thread.x;
  const base = this.thread.y * this.constants.HW * this.constants.C + c;
  let s = 0;
  for (let i = 0; i < this.constants.HW; i++) {
    s += x[base + i * this.constants.C];
  }
  return s / this.constants.HW;
}`

const gradSource = `function (dy) {
  const n = Math.floor(this.thread.y / this.constants.HW);
  return dy[n * this.constants.C + this.thread.x] / this.constants.HW;
}`

/**
 * Mean over height and width: [N, H, W, C] to [N, C].
 *
 * @example
 * const features = await globalAvgPool(x, backend) // [n, h, w, c] → [n, c]
 */
export const globalAvgPool = async (x: Tensor, be: Backend): Promise<Tensor> => {
  const { n, h, w, c } = nhwc(x.shape, 'globalAvgPool')
  if (overLimit(n, h * w * c)) return byBatch('globalAvgPool', n, h * w * c, [n, c], (s, k) => globalAvgPool(batchSlice(x, s, k), be))
  const spec = { key: keyOf('gap', n, h * w, c), source: forwardSource, output: [c, n], constants: { HW: h * w, C: c } }
  return Tensor.adopt([n, c], await launch(be, spec, [x.data], n * c))
}

/**
 * The gradient of globalAvgPool: dy / (H · W) spread over every position.
 *
 * @example
 * const dx = await globalAvgPoolGrad(x.shape, dy, backend)
 */
export const globalAvgPoolGrad = async (xShape: readonly number[], dy: Tensor, be: Backend): Promise<Tensor> => {
  const { n, h, w, c } = nhwc(xShape, 'globalAvgPool gradient')
  if (overLimit(n, h * w * c)) {
    return byBatch('globalAvgPool gradient', n, h * w * c, xShape, (s, k) => globalAvgPoolGrad([k, h, w, c], batchSlice(dy, s, k), be))
  }
  const spec = { key: keyOf('gap.dx', n, h * w, c), source: gradSource, output: [c, n * h * w], constants: { HW: h * w, C: c } }
  return Tensor.adopt(xShape, await launch(be, spec, [dy.data], n * h * w * c))
}
