import { Backend } from '../backend'
import { launch, keyOf } from '../ops/internal/launch'
import { sliceRanges } from '../ops/internal/split'
import { Tensor } from '../tensor'
import { Tree, flatten, unflatten } from '../tree'
import { Transform, UpdateContext, applyUpdates } from './transform'
import { globalNorm } from './transforms'

/**
 * What a preset's chain does to each value, so that one kernel per parameter tensor can do it all:
 * clip, weight decay, the RMS scaling, the learning rate and momentum, and the update's addition
 * to the parameter. The chain (Transform.update then applyUpdates) runs five kernels per tensor,
 * each copying its operands into kernel memory and its result out; this one reads the gradient,
 * the parameter and the buffers once and writes the new buffers and parameter once.
 *
 * @example
 * const plan: FusedPlan = { weightDecay: 4e-5, decayAll: false, rms: { decay: 0.9, epsilon: 1, inside: true }, momentum: 0.9, lrBeforeMomentum: true }
 */
export interface FusedPlan {
  readonly clipGrad?: number
  readonly weightDecay?: number
  readonly decayAll: boolean
  /** State `rms.ms` (scaleByRms). */
  readonly rms?: { readonly decay: number; readonly epsilon: number; readonly inside: boolean }
  /** State `momentum.momentum` when > 0 (trace). */
  readonly momentum: number
  /** −lr applied before momentum (TensorFlow's RMSProp: lr inside the buffer) rather than after it. */
  readonly lrBeforeMomentum: boolean
}

/**
 * A transform that also says how to run it fused (the presets: rmsproptf, rmsprop, sgd).
 *
 * @example
 * const opt: FusableTransform = rmsproptf()
 * opt.fused // its FusedPlan
 */
export interface FusableTransform extends Transform {
  readonly fused?: FusedPlan
}

/**
 * The kernel body. Every expression is the chain's own kernel expression (lib/optim/kernels.ts,
 * lib/ops/elementwise.ts) in the chain's order; on webasm each intermediate is a float32 value,
 * as the chain's stored outputs are, so the results are the chain's bit for bit (the cpu mode keeps
 * intermediates in float64: within an ulp or so). Scalars come in `k` (a changing
 * learning rate or clip factor then compiles nothing): [clip, weight decay, ρ, ε, μ, −lr].
 */
const fusedSource = (plan: FusedPlan, decays: boolean): string => {
  const lines = ['let g = a[i];']
  if (plan.clipGrad !== undefined) lines.push('g = k[0] * g;')
  if (decays) lines.push('g = g + k[1] * p[i];')
  const out: string[] = []
  if (plan.rms) {
    lines.push('const m = k[2] * ms[i] + (1 - k[2]) * g * g;')
    lines.push(plan.rms.inside ? 'g = g / Math.sqrt(m + k[3]);' : 'g = g / (Math.sqrt(m) + k[3]);')
    out.push('m')
  }
  if (plan.momentum > 0) {
    if (plan.lrBeforeMomentum) lines.push('g = k[5] * g;')
    lines.push('const b = k[4] * mom[i] + g;')
    lines.push(plan.lrBeforeMomentum ? 'g = b;' : 'g = k[5] * b;')
    out.push('b')
  } else lines.push('g = k[5] * g;')
  lines.push('const q = p[i] + g;')
  out.push('q')
  return `function (a, p, ms, mom, k) {
  const i = this.thread.y * this.constants.C + this.thread.x;
  ${lines.join('\n  ')}
  return ${out.length === 1 ? out[0] : `[${out.join(', ')}]`};
}`
}

const EMPTY = new Float32Array(4)

/** A kernel body and its id in the cache key. */
interface Variant {
  readonly source: string
  readonly id: string
}

/** One tensor's fused update: the new buffers (in the plan's order: ms, momentum) and parameter. */
const fusedLeaf = async (parts: number, variant: Variant, g: Tensor, p: Tensor, ms: Tensor | undefined, mom: Tensor | undefined, k: Float32Array, be: Backend): Promise<Tensor[]> => {
  const c = p.shape[p.rank - 1] ?? 1
  const rows = p.size / c
  const { source } = variant
  const ranges = sliceRanges('optimizer update', rows, c * parts)
  // only a split or interleaved output is copied into results of its own (the common case returns views)
  let results: Float32Array[] | undefined
  for (const [start, count] of ranges) {
    const n = count * c
    // webasm stores each result contiguously ([ms'; mom'; θ']); elsewhere values come interleaved per cell
    const direct = parts > 1 && be.capabilities.directStores
    const spec = {
      key: keyOf('optim.fused', variant.id, c, count, direct),
      source,
      output: [c, count],
      constants: { C: c },
      ...(parts > 1 ? { components: parts } : {}),
      ...(direct ? { outputLayout: { rowStride: c, componentOffsets: Array.from({ length: parts }, (_, j) => j * n) } } : {}),
    }
    const slice = (t: Tensor | undefined) => (t ? t.data.subarray(start * c, (start + count) * c) : EMPTY)
    const out = await launch(be, spec, [slice(g), slice(p), slice(ms), slice(mom), k], parts * n)
    if (ranges.length === 1 && (direct || parts === 1)) {
      return Array.from({ length: parts }, (_, j) => Tensor.adopt(p.shape, out.subarray(j * n, (j + 1) * n)))
    }
    results ??= Array.from({ length: parts }, () => new Float32Array(p.size))
    for (let j = 0; j < parts; j++) {
      const r = results[j]!
      if (direct || parts === 1) r.set(out.subarray(j * n, (j + 1) * n), start * c)
      else for (let v = 0; v < n; v++) r[start * c + v] = out[v * parts + j]!
    }
  }
  return results!.map(r => Tensor.adopt(p.shape, r))
}

/** A short, stable hash of a kernel source (its variant in the cache key). */
const hashOf = (s: string): string => {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0).toString(36)
}

/**
 * One optimizer step on the parameters: the fused kernels when the optimizer has a plan (see
 * FusedPlan), else its chain's update followed by applyUpdates. Either way the new parameters
 * and the optimizer's next state, of the same structure.
 *
 * @example
 * const { params, state } = await optimizerStep(rmsproptf(), grads, optState, { learningRate: 0.045, params: p, backend })
 */
export const optimizerStep = async (opt: FusableTransform, grads: Tree, state: Tree, ctx: UpdateContext): Promise<{ params: Tree; state: Tree }> => {
  const plan = opt.fused
  if (!plan) {
    const r = await opt.update(grads, state, ctx)
    return { params: await applyUpdates(ctx.params, r.updates, ctx.backend), state: r.state }
  }
  let clip = 1
  if (plan.clipGrad !== undefined) {
    const norm = globalNorm(grads)
    if (norm > plan.clipGrad) clip = plan.clipGrad / norm
  }
  const k = Float32Array.from([clip, plan.weightDecay ?? 0, plan.rms?.decay ?? 0, plan.rms?.epsilon ?? 0, plan.momentum, -ctx.learningRate])
  const msTree = plan.rms ? new Map(flatten((state.rms as Tree).ms as Tree)) : undefined
  const momTree = plan.momentum > 0 ? new Map(flatten((state.momentum as Tree).momentum as Tree)) : undefined
  const gradOf = new Map(flatten(grads))
  // the two kernel bodies (with and without weight decay), built once per step
  const [plain, decayed] = [false, true].map((decays): Variant => {
    const source = fusedSource(plan, decays)
    return { source, id: hashOf(source) }
  }) as [Variant, Variant]
  const parts = (plan.rms ? 1 : 0) + (plan.momentum > 0 ? 1 : 0) + 1
  const params: [string, Tensor][] = []
  const ms: [string, Tensor][] = []
  const mom: [string, Tensor][] = []
  for (const [path, p] of flatten(ctx.params)) {
    const g = gradOf.get(path)
    if (!g) throw new Error(`optimizer: no gradient for parameter '${path}'`)
    const m = msTree?.get(path)
    const b = momTree?.get(path)
    if ((msTree && !m) || (momTree && !b)) throw new Error(`optimizer: the state has no ${msTree && !m ? 'rms.ms' : 'momentum.momentum'} for parameter '${path}' (a state from another optimizer?)`)
    const decays = !!plan.weightDecay && (plan.decayAll || p.rank >= 2)
    const out = await fusedLeaf(parts, decays ? decayed : plain, g, p, m, b, k, ctx.backend)
    let j = 0
    if (plan.rms) ms.push([path, out[j++]!])
    if (plan.momentum > 0) mom.push([path, out[j++]!])
    params.push([path, out[j]!])
  }
  const next: Record<string, Tree> = {}
  if (plan.rms) next.rms = { ms: unflatten(ms) }
  if (plan.momentum > 0) next.momentum = { momentum: unflatten(mom) }
  return { params: unflatten(params), state: next }
}
