import { DEFAULT_DECAY, DEFAULT_EPSILON, batchNormInference, batchNormInferenceGrad, batchNormTraining, batchNormTrainingGrad, reluGrad } from '../../ops'
import { Tensor } from '../../tensor'
import { Layer, defineLayer } from '../layer'
import { leafSpec, onesSpec, zerosSpec } from '../spec'
import { Tree } from '../../tree'
import { param } from './primitive'

/**
 * batchNorm's options: gamma or not, epsilon, running-average decay, fused ReLU.
 *
 * @example
 * batchNorm({ scale: false, epsilon: 1e-3, decay: 0.9997, relu: true })
 */
export interface BatchNormLayerOptions {
  /** Learn gamma (`weight`); TF-slim's Inception-ResNet-v2 has none. Default true. */
  readonly scale?: boolean
  readonly epsilon?: number
  /** Running-average decay (TF's momentum; PyTorch's momentum is 1 - decay). */
  readonly decay?: number
  /** Fuse a ReLU into the normalisation's epilogue. */
  readonly relu?: boolean
}

/**
 * Batch normalisation with timm's names: `weight` (gamma), `bias` (beta) and the state
 * `running_mean`, `running_var`. Training normalises with batch statistics and returns updated
 * running statistics; inference uses the running ones.
 *
 * @example
 * named('bn', batchNorm({ relu: true })) // bn.weight, bn.bias, bn.running_mean, bn.running_var
 */
export const batchNorm = (o: BatchNormLayerOptions = {}): Layer => {
  const opts = { epsilon: o.epsilon ?? DEFAULT_EPSILON, decay: o.decay ?? DEFAULT_DECAY }
  const kind = `batchNorm${o.scale === false ? ' (no gamma)' : ''}${o.relu ? ' + relu' : ''}`
  return defineLayer({
    kind,
    graph: () => ({ op: 'batchNorm', epsilon: opts.epsilon, relu: !!o.relu, gamma: o.scale !== false }),
    spec(inputShape) {
      const c = inputShape[inputShape.length - 1]!
      const params = { ...(o.scale === false ? {} : { weight: onesSpec([c]) }), bias: zerosSpec([c]) }
      return leafSpec(kind, inputShape, params, { running_mean: zerosSpec([c]), running_var: onesSpec([c]) }, 0)
    },
    apply(params, state, x, ctx) {
      return async () => {
        const p = { beta: param(params, 'bias', kind), ...(o.scale === false ? {} : { gamma: param(params, 'weight', kind) }) }
        const running = { mean: param(state, 'running_mean', kind), variance: param(state, 'running_var', kind) }
        const gradsOf = (g: { dbeta: Tensor; dgamma?: Tensor }): Tree => ({ ...(g.dgamma ? { weight: g.dgamma } : {}), bias: g.dbeta })
        if (!ctx.training) {
          const y = await batchNormInference(x, p, running, { ...opts, relu: o.relu }, ctx.backend)
          return {
            y,
            state,
            backward: dy => async () => {
              const d = o.relu ? await reluGrad(y, dy, ctx.backend) : dy
              const g = await batchNormInferenceGrad(x, d, p, running, opts, ctx.backend)
              return { dx: g.dx, params: gradsOf(g) }
            },
          }
        }
        const r = await batchNormTraining(x, p, running, { ...opts, relu: o.relu }, ctx.backend)
        return {
          y: r.y,
          state: { running_mean: r.running.mean, running_var: r.running.variance },
          backward: dy => async () => {
            // a fused ReLU's mask is applied inside the gradient's kernels (one pass fewer)
            const g = await batchNormTrainingGrad(x, dy, p, r, ctx.backend, o.relu ? r.y : undefined)
            return { dx: g.dx, params: gradsOf(g) }
          },
        }
      }
    },
  })
}
