import { Padding } from '../ops'
import { Shape } from '../tensor'

/**
 * What a layer computes, as data: the layer algebra's structure with each leaf's hyperparameters.
 * Parameters are not in it: they live in the parameter tree under the same names (a `name`d child's
 * parameters under that name, an unnamed child's merged into its parent's). Another engine can
 * evaluate a network from its graph and rxception's parameter tree: the benchmark's TensorFlow.js
 * peers do (bench/peers).
 *
 * @example
 * const g: Graph = net.graph!([1, 299, 299, 3])
 * if (g.op === 'serial') console.log(g.children.map(c => c.name))
 */
export type Graph =
  | { readonly op: 'serial' | 'branches'; readonly children: readonly GraphChild[] }
  | { readonly op: 'residual'; readonly body: Graph; readonly scale: number; readonly relu: boolean }
  | { readonly op: 'conv2d'; readonly kernel: readonly [number, number]; readonly stride: number; readonly padding: Padding; readonly bias: boolean }
  | { readonly op: 'batchNorm'; readonly epsilon: number; readonly relu: boolean; readonly gamma: boolean }
  | { readonly op: 'maxPool' | 'avgPool'; readonly size: number; readonly stride: number; readonly padding: Padding }
  | { readonly op: 'relu' | 'globalAvgPool' }
  | { readonly op: 'dense'; readonly units: number }
  | { readonly op: 'dropout'; readonly keep: number }

/**
 * A child in a serial or branches graph, with its parameter-path segment when named.
 *
 * @example
 * const c: GraphChild = { name: 'conv', graph: { op: 'relu' } }
 */
export interface GraphChild {
  readonly name?: string
  readonly graph: Graph
}

/**
 * A layer whose graph was not described (a user layer without `graph`): engines that evaluate graphs refuse it by name.
 *
 * @example
 * throw new UndescribedLayerError('my layer')
 */
export class UndescribedLayerError extends Error {
  constructor(readonly kind: string) {
    super(`layer '${kind}' has no graph description (Layer.graph), so another engine cannot evaluate it`)
    this.name = 'UndescribedLayerError'
  }
}

/**
 * The graph of a layer at an input shape, or a one-line error naming the layer that has none.
 *
 * @example
 * const g = graphOf(inceptionV4(), [1, 299, 299, 3])
 */
export const graphOf = (layer: { kind: string; graph?: (s: Shape) => Graph }, inputShape: Shape): Graph => {
  if (!layer.graph) throw new UndescribedLayerError(layer.kind)
  return layer.graph(inputShape)
}
