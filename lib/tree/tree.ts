import { Tensor } from '../tensor'

/**
 * Parameter and state trees: nested records of tensors. Paths joined with dots are the published
 * state-dict names (timm's `features.0.conv.weight`), so import and export are path joins.
 *
 * @example
 * const t: Tree = { conv: { weight: Tensor.zeros([3, 3, 1, 8]) } }
 */
export interface Tree {
  readonly [name: string]: Tensor | Tree
}

/**
 * The empty tree (layers without state).
 *
 * @example
 * const { state = EMPTY } = layerInit
 */
export const EMPTY: Tree = Object.freeze({})

/**
 * True for a leaf of a Tree.
 *
 * @example
 * Object.values(tree).filter(isTensor)
 */
export const isTensor = (v: Tensor | Tree): v is Tensor => v instanceof Tensor

/**
 * [dotted path, tensor] pairs in insertion order.
 *
 * @example
 * flatten({ a: { b: t } }) // [['a.b', t]]
 */
export const flatten = (tree: Tree, prefix = ''): [string, Tensor][] =>
  Object.entries(tree).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k
    return isTensor(v) ? [[path, v] as [string, Tensor]] : flatten(v, path)
  })

/**
 * Rebuilds a tree from [dotted path, tensor] pairs.
 *
 * @example
 * unflatten([['a.b', t]]) // { a: { b: t } }
 */
export const unflatten = (entries: Iterable<readonly [string, Tensor]>): Tree => {
  const root: Record<string, unknown> = {}
  for (const [path, t] of entries) {
    const parts = path.split('.')
    let node = root
    parts.slice(0, -1).forEach(p => {
      node[p] ??= {}
      node = node[p] as Record<string, unknown>
    })
    node[parts[parts.length - 1]!] = t
  }
  return root as Tree
}

/**
 * The number of values in a tree's leaves.
 *
 * @example
 * countParameters(params) // 42,679,816 for Inception-v4
 */
export const countParameters = (tree: Tree): number => flatten(tree).reduce((n, [, t]) => n + t.size, 0)

/**
 * Merges sibling subtrees. Subtrees with the same name merge recursively (a network split around a
 * side branch contributes `features.0-17` from one part and `features.18-21` from another); a leaf
 * defined twice is an error naming it.
 *
 * @example
 * mergeTrees([{ features: { 0: a } }, { features: { 1: b } }], 'serial')
 */
export const mergeTrees = <T extends object>(trees: readonly T[], where: string, prefix = ''): T => {
  const out: Record<string, unknown> = {}
  const isLeaf = (v: unknown) => v instanceof Tensor || typeof (v as { init?: unknown }).init === 'function'
  for (const t of trees) {
    for (const [k, v] of Object.entries(t)) {
      const path = prefix ? `${prefix}.${k}` : k
      const prev = out[k]
      if (prev === undefined) out[k] = v
      else if (!isLeaf(prev) && !isLeaf(v)) out[k] = mergeTrees([prev as object, v as object], where, path)
      else throw new Error(`${where}: parameter name '${path}' is defined by two children`)
    }
  }
  return out as T
}
