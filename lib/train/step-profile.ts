import { KernelSpan, KernelTrace } from '../backend/kernel-trace'

/**
 * Where a training step's time goes, per step: kernel time by part (forward, input gradient,
 * filter gradient, batch norm, optimizer, loss), the time outside kernels (JavaScript between
 * calls: padding, index tables, transposes, joins), the phases' wall times, the host copies into
 * and out of kernel memory (webasm) and the kernels that took longest. Kernels that run at the
 * same time share the interval equally, so the parts add up to the step's wall time.
 *
 * @example
 * const { trace } = await traceKernels(backend, () => step(state, batch))
 * const p: StepProfile = profileOf(trace, 1)
 */
export interface StepProfile {
  readonly steps: number
  readonly wallMs: number
  readonly parts: readonly { readonly part: StepPart; readonly ms: number; readonly calls: number }[]
  readonly phases: readonly { readonly name: string; readonly ms: number }[]
  /** Inside the kernel parts above, not beside them; null where the backend does not count them. */
  readonly copies: { readonly inMs: number; readonly outMs: number; readonly inMiB: number; readonly outMiB: number } | null
  readonly top: readonly { readonly key: string; readonly part: StepPart; readonly ms: number; readonly calls: number }[]
}

/**
 * The parts of a step, in the order the profile lists them.
 *
 * @example
 * STEP_PARTS.includes('filter gradient')
 */
export const STEP_PARTS = ['forward', 'input gradient', 'filter gradient', 'batch norm', 'optimizer', 'loss', 'outside kernels'] as const
/**
 * One of STEP_PARTS.
 *
 * @example
 * const part: StepPart = partOf('backward', key)
 */
export type StepPart = (typeof STEP_PARTS)[number]

// batch norm's own kernels (lib/ops/batch-norm.ts): statistics, the per-channel affine maps, the gradient sums
const BATCH_NORM = /^(channelMoments|reduceRows (masked)?gradSums|map\(channelAffine)/

/**
 * The part a kernel call belongs to, from the phase it ran in and its cache key (lib/ops keyOf).
 * In the backward phase, a filter gradient is conv2d.dw or a matmul with its first operand
 * transposed (a dense layer's xᵀ·dy); every other backward kernel carries the input gradient.
 *
 * @example
 * partOf('backward', 'conv2d.dw(8,17,17,...)') // 'filter gradient'
 */
export const partOf = (phase: string, key: string): StepPart => {
  if (phase === 'optimizer') return 'optimizer'
  if (phase === 'loss') return 'loss'
  if (BATCH_NORM.test(key)) return 'batch norm'
  if (phase !== 'backward') return 'forward'
  if (key.startsWith('conv2d.dw(')) return 'filter gradient'
  const m = /^matmul\((\d+),(\d+),(\d+),(true|false)/.exec(key)
  return m?.[4] === 'true' ? 'filter gradient' : 'input gradient'
}

/** Each span's share of the wall time: an interval where k kernels run counts 1/k to each. */
const exclusiveShares = (spans: readonly KernelSpan[]): number[] => {
  const events = spans.flatMap((s, i) => [{ t: s.start, i, on: true }, { t: s.end, i, on: false }]).sort((a, b) => a.t - b.t || Number(a.on) - Number(b.on))
  const shares = spans.map(() => 0)
  const running = new Set<number>()
  let last = events[0]?.t ?? 0
  for (const e of events) {
    if (running.size) for (const i of running) shares[i]! += (e.t - last) / running.size
    last = e.t
    if (e.on) running.add(e.i)
    else running.delete(e.i)
  }
  return shares
}

const MIB = 2 ** 20

/**
 * A trace of `steps` steps as a per-step profile (see StepProfile).
 *
 * @example
 * const p = profileOf(trace, 3)
 * console.log(p.parts.map(r => `${r.part} ${r.ms.toFixed(0)} ms`).join(', '))
 */
export const profileOf = (trace: KernelTrace, steps: number, topCount = 10): StepProfile => {
  const per = (v: number) => v / steps
  const shares = exclusiveShares(trace.spans)
  const wall = trace.end - trace.start
  const byPart = new Map<StepPart, { ms: number; calls: number }>(STEP_PARTS.map(p => [p, { ms: 0, calls: 0 }]))
  const byKey = new Map<string, { part: StepPart; ms: number; calls: number }>()
  trace.spans.forEach((s, i) => {
    const part = partOf(s.phase, s.key)
    const p = byPart.get(part)!
    p.ms += shares[i]!
    p.calls++
    const k = byKey.get(s.key) ?? { part, ms: 0, calls: 0 }
    k.ms += shares[i]!
    k.calls++
    byKey.set(s.key, k)
  })
  const busy = shares.reduce((a, b) => a + b, 0)
  byPart.get('outside kernels')!.ms = wall - busy
  const phases = new Map<string, number>()
  for (const ph of trace.phases) phases.set(ph.name, (phases.get(ph.name) ?? 0) + ph.end - ph.start)
  const c = trace.copies
  return {
    steps,
    wallMs: per(wall),
    parts: STEP_PARTS.map(part => ({ part, ms: per(byPart.get(part)!.ms), calls: per(byPart.get(part)!.calls) })),
    phases: [...phases].map(([name, ms]) => ({ name, ms: per(ms) })),
    copies: c ? { inMs: per(c.inMs), outMs: per(c.outMs), inMiB: per((4 * c.inValues) / MIB), outMiB: per((4 * c.outValues) / MIB) } : null,
    top: [...byKey].sort((a, b) => b[1].ms - a[1].ms).slice(0, topCount).map(([key, k]) => ({ key, part: k.part, ms: per(k.ms), calls: per(k.calls) })),
  }
}

/**
 * A profile as printable lines: the parts with their share of the step, the copies, the phases,
 * the slowest kernels.
 *
 * @example
 * console.log(profileLines(profileOf(trace, 1)).join('\n'))
 */
export const profileLines = (p: StepProfile): string[] => {
  const pct = (ms: number) => `${((100 * ms) / p.wallMs).toFixed(1)}%`
  const lines = [`step ${p.wallMs.toFixed(0)} ms (mean of ${p.steps})`]
  for (const r of p.parts) lines.push(`  ${r.part.padEnd(16)} ${r.ms.toFixed(0).padStart(7)} ms  ${pct(r.ms).padStart(6)}${r.part === 'outside kernels' ? '' : `  ${r.calls.toFixed(0)} calls`}`)
  if (p.copies) lines.push(`  of the kernels' time, copies in ${p.copies.inMs.toFixed(0)} ms (${p.copies.inMiB.toFixed(0)} MiB), out ${p.copies.outMs.toFixed(0)} ms (${p.copies.outMiB.toFixed(0)} MiB)`)
  lines.push(`  phases: ${p.phases.map(ph => `${ph.name} ${ph.ms.toFixed(0)} ms`).join(', ')}`)
  lines.push('  slowest kernels:')
  for (const k of p.top) lines.push(`    ${k.ms.toFixed(0).padStart(6)} ms  ${k.calls.toFixed(0).padStart(3)}×  ${k.part.padEnd(15)}  ${k.key}`)
  return lines
}
