import { foldIn } from '../tensor'
import { Applied, Layer, located, locatedTask, segmentOf } from './layer'
import { Tree } from './tree'
import { childTree, parentTree } from './nesting'

/**
 * Layers one after another. init threads the shape through every child (errors name the child's
 * path); apply threads the activation; backward runs the children's backward functions in reverse.
 */
export const serial = (...layers: Layer[]): Layer => ({
  kind: 'serial',
  init(key, inputShape) {
    let shape = inputShape
    const params = []
    const state = []
    for (const [i, layer] of layers.entries()) {
      const r = located(segmentOf(layer, i), layer.kind, () => layer.init(foldIn(key, i), shape))
      shape = r.outputShape
      params.push(r.params)
      state.push(r.state)
    }
    return { outputShape: shape, params: parentTree(layers, params, 'serial'), state: parentTree(layers, state, 'serial') }
  },
  apply(params, state, x, ctx) {
    return async () => {
      const applied: Applied[] = []
      let y = x
      for (const [i, layer] of layers.entries()) {
        const r = await locatedTask(segmentOf(layer, i), layer.kind, () =>
          layer.apply(childTree(layer, params), childTree(layer, state), y, { ...ctx, key: foldIn(ctx.key, i) }),
        )()
        applied.push(r)
        y = r.y
      }
      return {
        y,
        state: parentTree(layers, applied.map(a => a.state), 'serial'),
        backward: dy => async () => {
          const grads: Tree[] = new Array(layers.length)
          let g = dy
          for (let i = layers.length - 1; i >= 0; i--) {
            const r = await applied[i]!.backward(g)()
            grads[i] = r.params
            g = r.dx
          }
          return { dx: g, params: parentTree(layers, grads, 'serial') }
        },
      }
    }
  },
})
