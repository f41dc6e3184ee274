import picomatch from 'picomatch'
import { Inspector } from '../nn'
import { Tensor } from '../tensor'
import { Tree, flatten } from '../tree'

/**
 * One watched layer at one step: how its output is distributed over the batch and how large its
 * parameters' gradient is. `zeros` is the fraction of exact zeros (a ReLU layer that "died", as the
 * paper describes for unscaled residual networks, outputs only zeros), `deadChannels` the fraction
 * of channels that are zero at every example and position.
 *
 * @example
 * const a: LayerActivity = { layer: 'conv2d_7b', kind: 'convBatchNorm', zeros: 0.52, deadChannels: 0, mean: 0.31, std: 0.58, gradNorm: 0.012 }
 */
export interface LayerActivity {
  readonly layer: string
  readonly kind: string
  readonly zeros: number
  readonly deadChannels: number
  readonly mean: number
  readonly std: number
  /** L2 norm of the gradient of the layer's parameters (null: it has none). */
  readonly gradNorm: number | null
}

/**
 * Which layers to watch and how often: `layers` are path patterns over the named layers (dots
 * between segments, `*` one segment, `**` any number: 'repeat_2.*' is every block of repeat_2,
 * 'conv2d_7b' one layer), `every` the step interval (the run's --log-interval).
 *
 * @example
 * const watch: Watch = { layers: ['repeat_2.*', 'conv2d_7b'], every: 50 }
 */
export interface Watch {
  readonly layers: readonly string[]
  readonly every: number
}

/**
 * The watch patterns of a --watch value: comma-separated, blanks dropped; none means off.
 *
 * @example
 * watchPatterns('repeat_2.*, conv2d_7b') // ['repeat_2.*', 'conv2d_7b']
 */
export const watchPatterns = (flag: string): string[] => flag.split(',').map(p => p.trim()).filter(p => p.length > 0)

const bySegment = (dotted: string) => dotted.split('.').join('/')

/**
 * The statistics of one output tensor (channels last). One pass over the values, on the host: a
 * few numbers per watched layer at the watched steps only.
 *
 * @example
 * activityOf(Tensor.fromArray([1, 2, 2], [0, 1, 0, 3])) // { zeros: 0.5, deadChannels: 0.5, mean: 1, std: 1.22 }
 */
export const activityOf = (t: Tensor): Pick<LayerActivity, 'zeros' | 'deadChannels' | 'mean' | 'std'> => {
  const c = t.shape[t.shape.length - 1]!
  const live = new Uint8Array(c)
  let zeros = 0
  let sum = 0
  let squares = 0
  const d = t.data
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!
    if (v === 0) zeros++
    else live[i % c] = 1
    sum += v
    squares += v * v
  }
  const n = d.length
  const mean = sum / n
  let dead = 0
  for (let j = 0; j < c; j++) if (!live[j]) dead++
  return { zeros: zeros / n, deadChannels: dead / c, mean, std: Math.sqrt(Math.max(0, squares / n - mean * mean)) }
}

/**
 * A monitor for one step: its `inspect` goes into the forward pass's context and keeps the output
 * of each watched layer (the last call for a path is the named layer itself: its unnamed children
 * report under the same path first); `activity(grads)` then gives the statistics. A pattern that
 * matched no layer is an error naming it and some of the layers there are.
 *
 * @example
 * const m = layerMonitor(['conv2d_7b'])
 * const a = await net.apply(params, state, x, { training: true, key, backend, inspect: m.inspect })()
 * const { params: grads } = await a.backward(dy)()
 * m.activity(grads) // [{ layer: 'conv2d_7b', zeros: ..., gradNorm: ... }]
 */
export const layerMonitor = (patterns: readonly string[]) => {
  const matchers = patterns.map(p => picomatch(bySegment(p)))
  const outputs = new Map<string, { kind: string; t: Tensor }>()
  const seen = new Set<string>()
  const used = new Set<number>()
  const inspect: Inspector = (path, kind, what, t) => {
    if (what !== 'output' || path.length === 0) return
    const layer = path.join('.')
    seen.add(layer)
    const hit = matchers.findIndex(m => m(path.join('/')))
    if (hit < 0) return
    used.add(hit)
    outputs.set(layer, { kind, t })
  }
  const activity = (grads: Tree): LayerActivity[] => {
    const missing = patterns.find((_, i) => !used.has(i))
    if (missing !== undefined) {
      const some = [...seen].filter(l => !l.includes('.')).slice(0, 12).join(', ')
      throw new RangeError(`--watch: '${missing}' matches no layer of the network (top-level layers: ${some}; dots separate path segments, * is one segment, ** any number)`)
    }
    const leaves = flatten(grads)
    return [...outputs].map(([layer, { kind, t }]) => {
      const own = leaves.filter(([p]) => p.startsWith(`${layer}.`))
      const squares = own.reduce((s, [, g]) => s + g.data.reduce((a, v) => a + v * v, 0), 0)
      return { layer, kind, ...activityOf(t), gradNorm: own.length ? Math.sqrt(squares) : null }
    })
  }
  return { inspect, activity }
}
