import { Key, Shape, Tensor, foldInName, sizeOf } from '../tensor'

/**
 * What a layer will hold, before anything is allocated: parameter and state shapes with their
 * initialisers, the output shape, and a summary row per primitive layer (path, kind, output shape,
 * parameter count, multiply-accumulates). A 299×299 Inception-v4 is described in milliseconds;
 * `materialize` allocates the tensors only when a caller asks for them.
 *
 * @example
 * const w: ParamSpec = { shape: [3, 3, 8, 16], init: key => normal(key, [3, 3, 8, 16], 0, 0.1) }
 */
export interface ParamSpec {
  readonly shape: Shape
  readonly init: (key: Key) => Tensor
}

/**
 * A tree of parameter specs, shaped like the parameter tree it will become.
 *
 * @example
 * const tree: SpecTree = { conv: { weight: zerosSpec([3, 3, 1, 8]) } }
 */
export interface SpecTree {
  readonly [name: string]: ParamSpec | SpecTree
}

/**
 * One row of a summary: a primitive layer's path, kind, output shape, parameters, state and MACs.
 *
 * @example
 * for (const r of net.spec([1, 299, 299, 3]).rows) console.log(r.path, r.kind, r.params, r.macs)
 */
export interface SummaryRow {
  /** Dotted path of the layer (its parameters' prefix), '' for an unnamed root. */
  readonly path: string
  readonly kind: string
  readonly outputShape: Shape
  readonly params: number
  /** Batch-norm running statistics and other non-trainable state. */
  readonly state: number
  readonly macs: number
}

/**
 * A layer's description: output shape, parameter and state specs, summary rows.
 *
 * @example
 * const { outputShape, params, rows }: Spec = net.spec([1, 299, 299, 3]) // allocates nothing
 */
export interface Spec {
  readonly outputShape: Shape
  readonly params: SpecTree
  readonly state: SpecTree
  readonly rows: readonly SummaryRow[]
}

/**
 * True for a leaf of a SpecTree.
 *
 * @example
 * isParamSpec(zerosSpec([4])) // true
 */
export const isParamSpec = (v: ParamSpec | SpecTree): v is ParamSpec => typeof (v as ParamSpec).init === 'function'

/**
 * A parameter spec initialised to zeros.
 *
 * @example
 * leafSpec('bias', shape, { bias: zerosSpec([c]) }, {}, 0)
 */
export const zerosSpec = (shape: Shape): ParamSpec => ({ shape, init: () => Tensor.zeros(shape) })
/**
 * A parameter spec initialised to ones.
 *
 * @example
 * leafSpec('bn', shape, { weight: onesSpec([c]) }, { running_var: onesSpec([c]) }, 0)
 */
export const onesSpec = (shape: Shape): ParamSpec => ({ shape, init: () => Tensor.ones(shape) })

/**
 * The number of values a spec tree describes.
 *
 * @example
 * countSpec(inceptionV4().spec([1, 299, 299, 3]).params) // 42,679,816
 */
export const countSpec = (tree: SpecTree): number =>
  Object.values(tree).reduce((n, v) => n + (isParamSpec(v) ? sizeOf(v.shape) : countSpec(v)), 0)

/**
 * Allocates a spec tree; each tensor's key is the root key folded with its dotted path.
 *
 * @example
 * const params = materialize(spec.params, keyFromSeed(0))
 */
export const materialize = (tree: SpecTree, key: Key, prefix = ''): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(tree).map(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k
      return [k, isParamSpec(v) ? v.init(foldInName(key, path)) : materialize(v, key, path)]
    }),
  )

/**
 * One summary row for a primitive layer.
 *
 * @example
 * spec: s => leafSpec('relu', s, {}, {}, 0)
 */
export const leafSpec = (kind: string, outputShape: Shape, params: SpecTree, state: SpecTree, macs: number): Spec => ({
  outputShape,
  params,
  state,
  rows: [{ path: '', kind, outputShape, params: countSpec(params), state: countSpec(state), macs }],
})

/**
 * Prefixes a child's rows with its path segment (unnamed children keep their parent's path).
 *
 * @example
 * prefixRows([{ path: 'conv', kind: 'conv2d', outputShape: [1, 8], params: 8, state: 0, macs: 8 }], 'stem') // path 'stem.conv'
 */
export const prefixRows = (rows: readonly SummaryRow[], name: string | undefined): SummaryRow[] =>
  rows.map(r => (name ? { ...r, path: r.path ? `${name}.${r.path}` : name } : r))

/**
 * [dotted path, shape] pairs of a spec tree, in order.
 *
 * @example
 * flattenSpec(net.spec([1, 75, 75, 3]).params).map(([name, shape]) => name)
 */
export const flattenSpec = (tree: SpecTree, prefix = ''): [string, Shape][] =>
  Object.entries(tree).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k
    return isParamSpec(v) ? [[path, v.shape] as [string, Shape]] : flattenSpec(v, path)
  })
