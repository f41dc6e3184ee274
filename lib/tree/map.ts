import { Tensor, sameShape, shapeToString } from '../tensor'
import { Tree, flatten, unflatten } from './tree'

/**
 * Tree maps in the manner of optax's `tree_map`: optimizer transforms, updates, gradient
 * accumulation and checkpoints are all functions applied leaf by leaf to trees of one structure.
 * A structure or shape mismatch is an error naming the dotted path, never a silent misalignment.
 *
 * @example
 * try { zipTrees(a, b) } catch (e) { if (e instanceof TreeMismatchError) console.error(e.path) }
 */
export class TreeMismatchError extends RangeError {
  constructor(readonly path: string, detail: string) {
    super(`tree mismatch at '${path}': ${detail}`)
    this.name = 'TreeMismatchError'
  }
}

/**
 * The leaves of several trees aligned by path: [path, [leaf of tree 0, leaf of tree 1, ...]] in
 * the first tree's order. Every tree must have exactly the first tree's paths and shapes.
 *
 * @example
 * zipTrees(params, grads) // [['conv.weight', [w, dw]], ['conv.bias', [b, db]]]
 */
export const zipTrees = (...trees: readonly Tree[]): [string, Tensor[]][] => {
  if (trees.length === 0) return []
  const [first, ...rest] = trees
  const lookups = rest.map(t => new Map(flatten(t)))
  const leaves = flatten(first!)
  lookups.forEach((m, i) => {
    if (m.size !== leaves.length) {
      const known = new Set(leaves.map(([p]) => p))
      const extra = [...m.keys()].find(p => !known.has(p))
      if (extra !== undefined) throw new TreeMismatchError(extra, `tree ${i + 1} has it, tree 0 does not`)
    }
  })
  return leaves.map(([path, t]) => [
    path,
    [t, ...lookups.map((m, i) => {
      const u = m.get(path)
      if (!u) throw new TreeMismatchError(path, `tree ${i + 1} has no such leaf`)
      if (!sameShape(t.shape, u.shape)) throw new TreeMismatchError(path, `shape ${shapeToString(u.shape)} in tree ${i + 1}, ${shapeToString(t.shape)} in tree 0`)
      return u
    })],
  ])
}

/**
 * Applies f to the aligned leaves of one or more trees (with the leaf's dotted path last) and
 * returns a tree of the first tree's structure.
 *
 * @example
 * const sum = mapTree((a, b) => add(a, b), grads1, grads2)
 */
export const mapTree = (f: (...leavesThenPath: any[]) => Tensor, ...trees: readonly Tree[]): Tree =>
  unflatten(zipTrees(...trees).map(([path, ls]) => [path, f(...ls, path)] as const))

/**
 * mapTree for asynchronous leaf functions (gpu.js kernels). Leaves run one after another: each
 * kernel already uses every core, and sequential calls keep memory bounded.
 *
 * @example
 * const next = await mapTreeAsync((p, u) => ops.add(p, u, backend), params, updates)
 */
export const mapTreeAsync = async (f: (...leavesThenPath: any[]) => Promise<Tensor>, ...trees: readonly Tree[]): Promise<Tree> => {
  const out: [string, Tensor][] = []
  for (const [path, ls] of zipTrees(...trees)) out.push([path, await f(...ls, path)])
  return unflatten(out)
}

/**
 * Folds over the leaves of a tree (a global norm, a count of non-finite values).
 *
 * @example
 * const count = reduceTree(params, (n, t) => n + t.size, 0)
 */
export const reduceTree = <A>(tree: Tree, f: (acc: A, leaf: Tensor, path: string) => A, initial: A): A =>
  flatten(tree).reduce((acc, [path, t]) => f(acc, t, path), initial)

/**
 * The same structure with every leaf replaced by zeros (optimizer buffers).
 *
 * @example
 * const momentum = zerosLike(params)
 */
export const zerosLike = (tree: Tree): Tree => mapTree((t: Tensor) => Tensor.zeros(t.shape), tree)
