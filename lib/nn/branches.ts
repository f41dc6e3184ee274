import { concatChannels, splitChannels, add } from '../ops'
import { foldIn, shapeToString, Tensor } from '../tensor'
import { Applied, Layer, LayerShapeError, located, locatedTask, segmentOf } from './layer'
import { childTree, parentTree } from './nesting'
import { Tree } from './tree'

/**
 * Fan-out then channel concat, in the order given: the Inception block. Every branch sees the same
 * input; their outputs must agree on N, H and W. Backward splits dy by the branches' widths and
 * sums the input gradients.
 */
export const branches = (...layers: Layer[]): Layer => ({
  kind: 'branches',
  init(key, inputShape) {
    const inits = layers.map((layer, i) => located(segmentOf(layer, i), layer.kind, () => layer.init(foldIn(key, i), inputShape)))
    const lead = inits[0]!.outputShape.slice(0, -1)
    inits.forEach((r, i) => {
      const s = r.outputShape
      if (s.length !== lead.length + 1 || s.slice(0, -1).some((d, j) => d !== lead[j])) {
        throw new LayerShapeError([segmentOf(layers[i]!, i)], `branches: output ${shapeToString(s)} cannot be concatenated with ${segmentOf(layers[0]!, 0)}'s ${shapeToString(inits[0]!.outputShape)} (N, H, W must agree)`)
      }
    })
    const channels = inits.reduce((c, r) => c + r.outputShape[r.outputShape.length - 1]!, 0)
    return {
      outputShape: [...lead, channels],
      params: parentTree(layers, inits.map(r => r.params), 'branches'),
      state: parentTree(layers, inits.map(r => r.state), 'branches'),
    }
  },
  apply(params, state, x, ctx) {
    return async () => {
      const applied: Applied[] = []
      for (const [i, layer] of layers.entries()) {
        applied.push(await locatedTask(segmentOf(layer, i), layer.kind, () =>
          layer.apply(childTree(layer, params), childTree(layer, state), x, { ...ctx, key: foldIn(ctx.key, i) }),
        )())
      }
      const widths = applied.map(a => a.y.shape[a.y.rank - 1]!)
      return {
        y: await concatChannels(applied.map(a => a.y), ctx.backend),
        state: parentTree(layers, applied.map(a => a.state), 'branches'),
        backward: dy => async () => {
          const pieces = await splitChannels(dy, widths, ctx.backend)
          const grads: Tree[] = []
          let dx: Tensor | undefined
          for (const [i, a] of applied.entries()) {
            const r = await a.backward(pieces[i]!)()
            grads.push(r.params)
            dx = dx ? await add(dx, r.dx, ctx.backend) : r.dx
          }
          return { dx: dx!, params: parentTree(layers, grads, 'branches') }
        },
      }
    }
  },
})
