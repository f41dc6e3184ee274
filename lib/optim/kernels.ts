import { Backend } from '../backend'
import { Elementwise, add, mapChannels, scale, scaledAdd } from '../ops/elementwise'
import { Tensor } from '../tensor'

/**
 * The element-wise kernels of the optimizers: gpu.js kernels over each parameter tensor, through the
 * same channel-mapped launcher as the network's element-wise ops (one compiled kernel per op and
 * shape, the scalar passed as an argument so a changing learning rate compiles nothing).
 */
const ACCUMULATE_SQUARE: Elementwise = { name: 'optim.accumulateSquare', expr: 's * a[i] + (1 - s) * b[i] * b[i]' }
const DIVIDE_SQRT_PLUS_EPS_INSIDE: Elementwise = { name: 'optim.rmsInside', expr: 'a[i] / Math.sqrt(b[i] + s)' }
const DIVIDE_SQRT_PLUS_EPS_OUTSIDE: Elementwise = { name: 'optim.rmsOutside', expr: 'a[i] / (Math.sqrt(b[i]) + s)' }
const TRACE: Elementwise = { name: 'optim.trace', expr: 's * a[i] + b[i]' }

export const ops = {
  /** decay · acc + (1 − decay) · g². */
  accumulateSquare: (acc: Tensor, g: Tensor, decay: number, be: Backend) => mapChannels(ACCUMULATE_SQUARE, acc, { b: g, s: decay }, be),
  /** g / sqrt(acc + ε) (TensorFlow) or g / (sqrt(acc) + ε) (PyTorch). */
  rmsScale: (g: Tensor, acc: Tensor, epsilon: number, inside: boolean, be: Backend) =>
    mapChannels(inside ? DIVIDE_SQRT_PLUS_EPS_INSIDE : DIVIDE_SQRT_PLUS_EPS_OUTSIDE, g, { b: acc, s: epsilon }, be),
  /** μ · buffer + u. */
  trace: (buffer: Tensor, u: Tensor, mu: number, be: Backend) => mapChannels(TRACE, buffer, { b: u, s: mu }, be),
  scale,
  scaledAdd,
  add,
}
