import { Layer } from './layer'
import { EMPTY, Tree, isTensor, mergeTrees } from '../tree'

/** A child's subtree inside its parent's: under its name, or the parent's own (unnamed children merge). */
export const childTree = (layer: Layer, parent: Tree): Tree => {
  if (!layer.name) return parent
  const sub = parent[layer.name]
  if (sub === undefined) return EMPTY
  if (isTensor(sub)) throw new Error(`'${layer.name}' is a tensor where the ${layer.kind} layer expects a subtree`)
  return sub
}

/** The children's trees assembled into the parent's. */
export const parentTree = <T extends object>(layers: readonly Layer[], trees: readonly T[], where: string): T =>
  mergeTrees(
    trees.map((t, i) => {
      const name = layers[i]!.name
      return (name && Object.keys(t).length > 0 ? { [name]: t } : name ? {} : t) as T
    }),
    where,
  )
