import { Shape } from '../tensor'
import { Layer, defineLayer } from './layer'
import { graphOf } from './graph'

/**
 * A layer built from its input shape, once per shape: for layers whose hyperparameters depend on
 * it, like the auxiliary head's convolution whose kernel covers the whole feature map.
 *
 * @example
 * const head = deferred('aux head', shape => conv2d({ filters: 768, kernel: [shape[1]!, shape[2]!], padding: 'valid' }))
 */
export const deferred = (kind: string, build: (inputShape: Shape) => Layer): Layer => {
  const built = new Map<string, Layer>()
  const layerFor = (shape: Shape): Layer => {
    const key = shape.slice(1).join('x')
    if (!built.has(key)) built.set(key, build(shape))
    return built.get(key)!
  }
  return defineLayer({
    kind,
    spec: inputShape => layerFor(inputShape).spec(inputShape),
    apply: (params, state, x, ctx) => layerFor(x.shape).apply(params, state, x, ctx),
    graph: inputShape => graphOf(layerFor(inputShape), inputShape),
  })
}
