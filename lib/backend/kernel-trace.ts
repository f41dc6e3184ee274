import type { Backend } from './backend'
import { gpujsModule } from './gpujs'

/**
 * One kernel call seen by a trace: its cache key (op, variant, shape), the phase the caller had
 * marked (`markPhase`) and when it started and ended (performance.now(), ms).
 *
 * @example
 * const slow = trace.spans.filter((s: KernelSpan) => s.end - s.start > 10)
 */
export interface KernelSpan {
  readonly key: string
  readonly phase: string
  readonly start: number
  readonly end: number
}

/**
 * Host-side copies into and out of kernel memory (webasm: gpu.js copies each argument into the
 * kernel's WebAssembly memory and its output out, on the calling thread).
 *
 * @example
 * const c: CopyClock | null = trace.copies
 * if (c) console.log(`${c.inMs} ms copying ${c.inValues} values in`)
 */
export interface CopyClock {
  inMs: number
  outMs: number
  inValues: number
  outValues: number
}

/**
 * What a trace saw: every kernel call, the phases' wall times in order, and the copies (null where
 * the backend's gpu.js does not count them: every mode but webasm).
 *
 * @example
 * const { trace }: { trace: KernelTrace } = await traceKernels(backend, () => net.apply(params, state, x, { backend })())
 */
export interface KernelTrace {
  readonly spans: KernelSpan[]
  readonly phases: { name: string; start: number; end: number }[]
  readonly copies: CopyClock | null
  readonly start: number
  end: number
}

const active = new WeakMap<Backend, KernelTrace>()

/** gpu.js's WebAssembly kernel class where the patch gave it a copy clock (patches/README.md part 9). */
const wasmKernelClass = (): { copyClock: CopyClock | null } | undefined => {
  try {
    const k = gpujsModule<{ WebAssemblyKernel?: { copyClock?: unknown } }>('src/backend/web-assembly/kernel.js').WebAssemblyKernel
    return k && 'copyClock' in k ? (k as { copyClock: CopyClock | null }) : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs `f` with every kernel call on `be` recorded (the kernels themselves run unchanged). One
 * trace per backend at a time. The copy clock is process-wide: other backends' webasm kernels
 * running at the same time add to it.
 *
 * @example
 * const { value, trace } = await traceKernels(backend, () => step(state, batch))
 * console.log(profileOf(trace).rows)
 */
export const traceKernels = async <T>(be: Backend, f: () => Promise<T>): Promise<{ value: T; trace: KernelTrace }> => {
  if (active.has(be)) throw new Error('traceKernels: this backend is already being traced')
  const klass = be.mode === 'webasm' ? wasmKernelClass() : undefined
  const copies: CopyClock | null = klass ? { inMs: 0, outMs: 0, inValues: 0, outValues: 0 } : null
  const trace: KernelTrace = { spans: [], phases: [], copies, start: performance.now(), end: 0 }
  active.set(be, trace)
  if (klass) klass.copyClock = copies
  try {
    const value = await f()
    return { value, trace }
  } finally {
    trace.end = performance.now()
    const last = trace.phases.at(-1)
    if (last && last.end === 0) last.end = trace.end
    if (klass) klass.copyClock = null
    active.delete(be)
  }
}

/**
 * Marks the start of a phase of the work being traced on `be` (forward, loss, backward,
 * optimizer): later kernel calls belong to it. Free when no trace runs.
 *
 * @example
 * markPhase(backend, 'backward')
 */
export const markPhase = (be: Backend, name: string): void => {
  const trace = active.get(be)
  if (!trace) return
  const now = performance.now()
  const last = trace.phases.at(-1)
  if (last && last.end === 0) last.end = now
  trace.phases.push({ name, start: now, end: 0 })
}

/**
 * Runs one kernel call, recording it when a trace runs on `be` (lib/ops/internal/launch.ts).
 *
 * @example
 * const out = await tracedCall(be, spec.key, () => kernel(...args))
 */
export const tracedCall = async <T>(be: Backend, key: string, call: () => Promise<T>): Promise<T> => {
  const trace = active.get(be)
  if (!trace) return call()
  const start = performance.now()
  try {
    return await call()
  } finally {
    trace.spans.push({ key, phase: trace.phases.at(-1)?.name ?? '', start, end: performance.now() })
  }
}
