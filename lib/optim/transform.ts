import { Backend } from '../backend'
import { ops } from './kernels'
import { Tree, mapTreeAsync } from '../tree'

/**
 * A gradient transformation, as in optax: `init` makes its state from the parameters, `update`
 * maps incoming updates (at first the gradients) to outgoing ones and the next state. State is a
 * tree of tensors, so a checkpoint is a tree flatten away. Optimizers are chains of these.
 *
 * @example
 * const negate: Transform = { name: 'negate', init: () => ({}), update: async (u, s, { backend }) => ({ updates: await mapTreeAsync((t: Tensor) => ops.scale(t, -1, backend), u), state: s }) }
 */
export interface Transform {
  /** For error messages and the state's path segment in checkpoints. */
  readonly name: string
  init(params: Tree): Tree
  update(updates: Tree, state: Tree, ctx: UpdateContext): Promise<Updated>
}

/**
 * What a transform's update sees besides the updates and its state.
 *
 * @example
 * await opt.update(grads, optState, { learningRate: schedule(step), params, backend })
 */
export interface UpdateContext {
  /** The schedule's value at this step. */
  readonly learningRate: number
  readonly params: Tree
  readonly backend: Backend
}

/**
 * A transform's output: the updates and its next state.
 *
 * @example
 * const { updates, state }: Updated = await opt.update(grads, optState, ctx)
 */
export interface Updated {
  readonly updates: Tree
  readonly state: Tree
}

/**
 * An optimizer is a transform whose output is added to the parameters (`applyUpdates`).
 *
 * @example
 * const opt: Optimizer = rmsproptf()
 */
export type Optimizer = Transform

/**
 * Transforms applied in order; the state is `{ <name>: state }` per stateful transform.
 *
 * @example
 * const opt = chain(addDecayedWeights(4e-5), scaleByRms({ decay: 0.9, epsilon: 1, initialScale: 1, epsilonInside: true }), scaleByLearningRate(), trace(0.9))
 */
export const chain = (...transforms: readonly Transform[]): Transform => {
  const names = transforms.map(t => t.name)
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup) throw new Error(`chain: two transforms are named '${dup}'; each state needs its own name`)
  return {
    name: `chain(${names.join(', ')})`,
    init: params => Object.fromEntries(transforms.map(t => [t.name, t.init(params)]).filter(([, s]) => Object.keys(s as Tree).length > 0)),
    async update(updates, state, ctx) {
      const next: Record<string, Tree> = {}
      let u = updates
      for (const t of transforms) {
        const r = await t.update(u, (state[t.name] as Tree | undefined) ?? {}, ctx)
        u = r.updates
        if (Object.keys(r.state).length > 0) next[t.name] = r.state
      }
      return { updates: u, state: next }
    },
  }
}

/**
 * params + updates, leaf by leaf, on the backend.
 *
 * @example
 * const { updates, state } = await opt.update(grads, optState, { learningRate, params, backend })
 * params = await applyUpdates(params, updates, backend)
 */
export const applyUpdates = (params: Tree, updates: Tree, backend: Backend): Promise<Tree> =>
  mapTreeAsync((p, u) => ops.add(p, u, backend), params, updates)
