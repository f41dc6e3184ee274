import { concatChannels, splitChannels, add } from '../ops'
import { foldIn, shapeToString, Tensor } from '../tensor'
import { Applied, Layer, LayerShapeError, applyChild, defineLayer, located, segmentOf } from './layer'
import { SpecTree, prefixRows } from './spec'
import { childTree, parentTree } from './nesting'
import { Tree } from '../tree'
import { graphOf } from './graph'

/**
 * Fan-out then channel concat, in the order given: the Inception block. Every branch sees the same
 * input; their outputs must agree on N, H and W. Backward splits dy by the branches' widths and
 * sums the input gradients.
 *
 * @example
 * const mixed = branches(named('branch0', conv1x1), named('branch1', numbered([conv1x1b, conv3x3])))
 */
export const branches = (...layers: Layer[]): Layer =>
  defineLayer({
    kind: 'branches',
    spec(inputShape) {
      const specs = layers.map((layer, i) => located(segmentOf(layer, i), layer.kind, () => layer.spec(inputShape)))
      const lead = specs[0]!.outputShape.slice(0, -1)
      specs.forEach((r, i) => {
        const s = r.outputShape
        if (s.length !== lead.length + 1 || s.slice(0, -1).some((d, j) => d !== lead[j])) {
          throw new LayerShapeError([segmentOf(layers[i]!, i)], `branches: output ${shapeToString(s)} cannot be concatenated with ${segmentOf(layers[0]!, 0)}'s ${shapeToString(specs[0]!.outputShape)} (N, H, W must agree)`)
        }
      })
      const channels = specs.reduce((c, r) => c + r.outputShape[r.outputShape.length - 1]!, 0)
      const outputShape = [...lead, channels]
      return {
        outputShape,
        params: parentTree<SpecTree>(layers, specs.map(r => r.params), 'branches'),
        state: parentTree<SpecTree>(layers, specs.map(r => r.state), 'branches'),
        rows: [...specs.flatMap((s, i) => prefixRows(s.rows, layers[i]!.name)), { path: '', kind: 'concat', outputShape, params: 0, state: 0, macs: 0 }],
      }
    },
    graph: inputShape => ({ op: 'branches', children: layers.map(l => ({ ...(l.name ? { name: l.name } : {}), graph: graphOf(l, inputShape) })) }),
    apply(params, state, x, ctx) {
      return async () => {
        const applied: Applied[] = []
        for (const [i, layer] of layers.entries()) {
          applied.push(await applyChild(layer, i, childTree(layer, params), childTree(layer, state), x, { ...ctx, key: foldIn(ctx.key, i) })())
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
