import { Key, Shape, Tensor, foldInName, sizeOf } from '../tensor'

/**
 * What a layer will hold, before anything is allocated: parameter and state shapes with their
 * initialisers, the output shape, and a summary row per primitive layer (path, kind, output shape,
 * parameter count, multiply-accumulates). A 299×299 Inception-v4 is described in milliseconds;
 * `materialize` allocates the tensors only when a caller asks for them.
 */
export interface ParamSpec {
  readonly shape: Shape
  readonly init: (key: Key) => Tensor
}

export interface SpecTree {
  readonly [name: string]: ParamSpec | SpecTree
}

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

export interface Spec {
  readonly outputShape: Shape
  readonly params: SpecTree
  readonly state: SpecTree
  readonly rows: readonly SummaryRow[]
}

export const isParamSpec = (v: ParamSpec | SpecTree): v is ParamSpec => typeof (v as ParamSpec).init === 'function'

export const zerosSpec = (shape: Shape): ParamSpec => ({ shape, init: () => Tensor.zeros(shape) })
export const onesSpec = (shape: Shape): ParamSpec => ({ shape, init: () => Tensor.ones(shape) })

export const countSpec = (tree: SpecTree): number =>
  Object.values(tree).reduce((n, v) => n + (isParamSpec(v) ? sizeOf(v.shape) : countSpec(v)), 0)

/** Allocates a spec tree; each tensor's key is the root key folded with its dotted path. */
export const materialize = (tree: SpecTree, key: Key, prefix = ''): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(tree).map(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k
      return [k, isParamSpec(v) ? v.init(foldInName(key, path)) : materialize(v, key, path)]
    }),
  )

/** One summary row for a primitive layer. */
export const leafSpec = (kind: string, outputShape: Shape, params: SpecTree, state: SpecTree, macs: number): Spec => ({
  outputShape,
  params,
  state,
  rows: [{ path: '', kind, outputShape, params: countSpec(params), state: countSpec(state), macs }],
})

/** Prefixes a child's rows with its path segment (unnamed children keep their parent's path). */
export const prefixRows = (rows: readonly SummaryRow[], name: string | undefined): SummaryRow[] =>
  rows.map(r => (name ? { ...r, path: r.path ? `${name}.${r.path}` : name } : r))

/** [dotted path, shape] pairs of a spec tree, in order. */
export const flattenSpec = (tree: SpecTree, prefix = ''): [string, Shape][] =>
  Object.entries(tree).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k
    return isParamSpec(v) ? [[path, v.shape] as [string, Shape]] : flattenSpec(v, path)
  })
