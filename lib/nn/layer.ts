import { Task } from 'fp-ts/Task'
import { Backend } from '../backend'
import { Key, Shape, Tensor } from '../tensor'
import { Spec, materialize } from './spec'
import { Tree } from '../tree'
import { Graph } from './graph'

/**
 * A layer is a pair of pure functions, as in JAX's stax:
 *  - init(key, inputShape) gives the output shape, the parameters and the state (batch-norm running
 *    statistics) and allocates no activation, so a whole network shape-checks in milliseconds;
 *  - apply(params, state, x, ctx) is a Task of the output, the new state and `backward`, which maps
 *    the output's gradient to the input's gradient and the parameter-gradient tree (same paths as
 *    the parameters).
 * `name`, when set, is the layer's segment in parameter paths; an unnamed layer's parameters merge
 * into its parent's (see serial).
 *
 * @example
 * const { outputShape, params, state } = layer.init(keyFromSeed(0), [1, 35, 35, 384])
 * const out = await layer.apply(params, state, x, { training: true, key, backend })()
 * const { dx, params: grads } = await out.backward(dy)()
 */
export interface Layer {
  readonly name?: string
  /** What the layer is, for error messages and summaries ('conv2d 3x3/2 valid', 'serial'). */
  readonly kind: string
  /** Shapes, initialisers and summary rows, allocating nothing. */
  spec(inputShape: Shape): Spec
  init(key: Key, inputShape: Shape): Init
  apply(params: Tree, state: Tree, x: Tensor, ctx: Ctx): Task<Applied>
  /** What the layer computes at this input shape, as data (optional: user layers may omit it; see Graph). */
  graph?(inputShape: Shape): Graph
}

/**
 * A layer from its spec and apply; init allocates what the spec describes.
 *
 * @example
 * const identity = defineLayer({ kind: 'identity', spec: s => leafSpec('identity', s, {}, {}, 0), apply: (_p, state, x) => async () => ({ y: x, state, backward: dy => async () => ({ dx: dy, params: {} }) }) })
 */
export const defineLayer = (l: Omit<Layer, 'init'>): Layer => ({
  ...l,
  init(key, inputShape) {
    const s = l.spec(inputShape)
    return { outputShape: s.outputShape, params: materialize(s.params, key) as Tree, state: materialize(s.state, key) as Tree }
  },
})

/**
 * What init gives: the output shape, the parameters and the state (batch-norm statistics).
 *
 * @example
 * const { outputShape, params, state }: Init = net.init(keyFromSeed(0), [8, 299, 299, 3])
 */
export interface Init {
  readonly outputShape: Shape
  readonly params: Tree
  readonly state: Tree
}

/**
 * What apply gives: the output, the new state, and the backward function.
 *
 * @example
 * const { y, state, backward }: Applied = await net.apply(params, state0, x, ctx)()
 */
export interface Applied {
  readonly y: Tensor
  readonly state: Tree
  readonly backward: (dy: Tensor) => Task<Gradients>
}

/**
 * What backward gives: the input's gradient and the parameter-gradient tree (the parameters' paths).
 *
 * @example
 * const { dx, params: grads }: Gradients = await applied.backward(dy)()
 */
export interface Gradients {
  readonly dx: Tensor
  readonly params: Tree
}

/**
 * What a layer needs besides its parameters: the mode, the random key (dropout) and the backend.
 *
 * @example
 * const ctx: Ctx = { training: true, key: foldIn(runKey, step), backend }
 */
export interface Ctx {
  readonly training: boolean
  readonly key: Key
  readonly backend: Backend
  /** Diagnostics: when set, every child layer's output and input gradient is shown to it (slow: used to locate a NaN). */
  readonly inspect?: Inspector
  /** The named layers enclosing this one (set by the combinators while inspecting). */
  readonly path?: readonly string[]
}

/**
 * Sees each layer's output, then in the backward pass its input gradient; children before parents.
 *
 * @example
 * const inspect: Inspector = (path, kind, what, t) => { if (!t.data.every(Number.isFinite)) console.log(path.join('.'), what) }
 * await net.apply(params, state, x, { training: true, key, backend, inspect })()
 */
export type Inspector = (path: readonly string[], kind: string, what: 'output' | 'input gradient', t: Tensor) => void

/**
 * A shape error raised at init (or apply) time, carrying the path of the layer that raised it.
 *
 * @example
 * try { net.spec([1, 28, 28, 3]) } catch (e) { if (e instanceof LayerShapeError) console.log(e.path) }
 */
export class LayerShapeError extends RangeError {
  constructor(readonly path: readonly string[], readonly detail: string) {
    super(`${path.length ? path.join('/') : '(root)'}: ${detail}`)
    this.name = 'LayerShapeError'
  }

  /** The same error one level further out. */
  within(segment: string): LayerShapeError {
    return new LayerShapeError([segment, ...this.path], this.detail)
  }
}

/** An error raised inside the layer at `segment`, as a LayerShapeError located there. */
const relocate = (segment: string, kind: string, e: unknown): LayerShapeError =>
  e instanceof LayerShapeError ? e.within(segment) : new LayerShapeError([segment], `${kind}: ${(e as Error).message}`)

/**
 * Runs f, re-raising any error as a LayerShapeError located under `segment`.
 *
 * @example
 * const spec = located('branch1', 'serial', () => child.spec(shape))
 */
export const located = <A>(segment: string, kind: string, f: () => A): A => {
  try {
    return f()
  } catch (e) {
    throw relocate(segment, kind, e)
  }
}

/**
 * The Task counterpart of `located`: failures while building or running the task are located too.
 *
 * @example
 * const applied = await locatedTask('branch1', child.kind, () => child.apply(p, s, x, ctx))()
 */
export const locatedTask = <A>(segment: string, kind: string, f: () => Task<A>): Task<A> => async () => {
  const task = located(segment, kind, f)
  try {
    return await task()
  } catch (e) {
    throw relocate(segment, kind, e)
  }
}

/**
 * How a combinator runs its i-th child: errors are located under the child's segment, and an
 * inspecting context (ctx.inspect) is shown the child's output and input gradient.
 *
 * @example
 * const r = await applyChild(child, i, childParams, childState, x, ctx)()
 */
export const applyChild = (layer: Layer, i: number, params: Tree, state: Tree, x: Tensor, ctx: Ctx): Task<Applied> => {
  const segment = segmentOf(layer, i)
  const inspect = ctx.inspect
  if (!inspect) return locatedTask(segment, layer.kind, () => layer.apply(params, state, x, ctx))
  const path = layer.name ? [...(ctx.path ?? []), layer.name] : ctx.path ?? []
  return async () => {
    const r = await locatedTask(segment, layer.kind, () => layer.apply(params, state, x, { ...ctx, path }))()
    inspect(path, layer.kind, 'output', r.y)
    return {
      ...r,
      backward: dy => async () => {
        const g = await r.backward(dy)()
        inspect(path, layer.kind, 'input gradient', g.dx)
        return g
      },
    }
  }
}

/**
 * Gives a layer its path segment.
 *
 * @example
 * named('conv', conv2d({ filters: 32, kernel: 3 })) // parameters conv.weight
 */
export const named = (name: string, layer: Layer): Layer => {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`named: '${name}' is not a valid parameter path segment (letters, digits, _)`)
  return { ...layer, name }
}

/**
 * The segment used in error paths: the layer's name or its position.
 *
 * @example
 * segmentOf(relu(), 2) // '[2] relu'
 */
export const segmentOf = (layer: Layer, index: number): string => layer.name ?? `[${index}] ${layer.kind}`
