import { Shape, foldIn } from '../tensor'
import { Applied, Layer, applyChild, defineLayer, located, named, segmentOf } from './layer'
import { childTree, parentTree } from './nesting'
import { Spec, SpecTree, prefixRows } from './spec'
import { Tree } from '../tree'
import { graphOf } from './graph'

/**
 * Layers one after another. spec threads the shape through every child (errors name the child's
 * path); apply threads the activation; backward runs the children's backward functions in reverse.
 *
 * @example
 * const net = serial(named('conv', conv2d({ filters: 8, kernel: 3 })), relu(), globalAvgPool(), named('fc', dense(10)))
 */
export const serial = (...layers: Layer[]): Layer =>
  defineLayer({
    kind: 'serial',
    spec(inputShape) {
      let shape: Shape = inputShape
      const specs: Spec[] = []
      for (const [i, layer] of layers.entries()) {
        const s = located(segmentOf(layer, i), layer.kind, () => layer.spec(shape))
        shape = s.outputShape
        specs.push(s)
      }
      return {
        outputShape: shape,
        params: parentTree<SpecTree>(layers, specs.map(s => s.params), 'serial'),
        state: parentTree<SpecTree>(layers, specs.map(s => s.state), 'serial'),
        rows: specs.flatMap((s, i) => prefixRows(s.rows, layers[i]!.name)),
      }
    },
    graph(inputShape) {
      let shape: Shape = inputShape
      const children = layers.map(layer => {
        const child = { ...(layer.name ? { name: layer.name } : {}), graph: graphOf(layer, shape) }
        shape = layer.spec(shape).outputShape
        return child
      })
      return { op: 'serial', children }
    },
    apply(params, state, x, ctx) {
      return async () => {
        const applied: Applied[] = []
        let y = x
        for (const [i, layer] of layers.entries()) {
          const r = await applyChild(layer, i, childTree(layer, params), childTree(layer, state), y, { ...ctx, key: foldIn(ctx.key, i) })()
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

/**
 * serial with its children named by position, '0', '1', ... from `offset` (PyTorch's nn.Sequential
 * naming; a slice of one keeps its numbers). The one way children are numbered.
 *
 * @example
 * numbered([conv(o, 48, 1), conv(o, 64, 5)])      // branch1.0.conv.weight, branch1.1.conv.weight
 * numbered(blocks.slice(cut), cut)                // features.18, features.19, ...
 */
export const numbered = (layers: readonly Layer[], offset = 0): Layer => serial(...layers.map((l, i) => named(String(offset + i), l)))
