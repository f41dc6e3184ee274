import { Conv2DOptions, conv2d as conv2dOp, inferenceAffine, DEFAULT_EPSILON } from '../../ops'
import { Tensor } from '../../tensor'
import { Tree } from '../../tree'
import { Layer, named } from '../layer'
import { serial } from '../serial'
import { BatchNormLayerOptions, batchNorm } from './batch-norm'
import { ConvOptions, conv2d } from './conv'
import { param } from './primitive'

/** A folded filter and bias, and the tensors they were folded from (a parameter set is immutable). */
interface Folded {
  readonly from: readonly Tensor[]
  readonly weight: Tensor
  readonly bias: Tensor
}

/**
 * Convolution then batch norm (timm's BasicConv2d: `conv.weight`, `bn.weight`, `bn.bias`,
 * `bn.running_mean`, `bn.running_var`). Training runs the two layers as written. Inference runs one
 * convolution whose filter is scaled by gamma / sqrt(var + ε) per output channel, with bias
 * beta − mean · scale and the ReLU in its epilogue: one pass over the activation instead of two.
 * The folded filter is computed once per parameter set (cached on the weight tensor; tensors are
 * immutable). Results match the unfolded pair to float32 rounding (the products associate differently).
 * A backward pass in inference mode (rare: gradients with frozen statistics) recomputes through the
 * unfolded pair.
 *
 * @example
 * convBatchNorm({ filters: 64, kernel: [1, 7], padding: 'same' }, { epsilon: 1e-3, relu: true })
 */
export const convBatchNorm = (c: ConvOptions, b: BatchNormLayerOptions): Layer => {
  const unfolded = serial(named('conv', conv2d(c)), named('bn', batchNorm(b)))
  const opts: Conv2DOptions = { stride: c.stride ?? 1, padding: c.padding ?? 'valid', relu: !!b.relu }
  const cache = new WeakMap<Tensor, Folded>()
  const kind = 'conv + batchNorm'
  const foldedOf = (params: Tree, state: Tree): Folded => {
    const bn = params.bn as Tree
    const bnState = state.bn as Tree
    const w = param(params.conv as Tree, 'weight', kind)
    const beta = param(bn, 'bias', kind)
    const gamma = b.scale === false ? undefined : param(bn, 'weight', kind)
    const mean = param(bnState, 'running_mean', kind)
    const variance = param(bnState, 'running_var', kind)
    const from = [w, beta, mean, variance, ...(gamma ? [gamma] : [])]
    const hit = cache.get(w)
    if (hit && hit.from.every((t, i) => t === from[i])) return hit
    const { scale, shift } = inferenceAffine({ beta, ...(gamma ? { gamma } : {}) }, { mean, variance }, b.epsilon ?? DEFAULT_EPSILON)
    const cout = scale.length
    const entry = { from, weight: Tensor.adopt(w.shape, w.data.map((v, i) => v * scale[i % cout]!)), bias: Tensor.adopt([cout], shift) }
    cache.set(w, entry)
    return entry
  }
  return {
    ...unfolded,
    apply(params, state, x, ctx) {
      if (ctx.training || ctx.inspect) return unfolded.apply(params, state, x, ctx)
      return async () => {
        const f = foldedOf(params, state)
        const y = await conv2dOp(x, f.weight, f.bias, opts, ctx.backend)
        return {
          y,
          state,
          backward: dy => async () => (await (await unfolded.apply(params, state, x, ctx)()).backward(dy)()),
        }
      }
    },
  }
}
