import { cpus, totalmem } from 'os'
import { setFlagsFromString } from 'v8'

/**
 * What the library needs from the platform it runs on, Node's variant. The browser's
 * (`./platform.browser.ts`) has the same exports; the browser bundle (bin/browser-bundle.cjs) takes that one
 * instead, so nothing else in `lib/` or
 * `modules/` that the browser entry reaches names a Node built-in. Nothing here is read at import
 * time.
 *
 * @example
 * const threads = cpuCount()
 */
export const PLATFORM = 'node' as 'node' | 'browser'

/** Settings from the environment, as text (Node: `process.env`; the browser has none). */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * The environment that settings are read from, at the moment of the call.
 *
 * @example
 * cacheBudgetFromEnv(environment())
 */
export const environment = (): Env => process.env

/** Cores available to worker threads. */
export const cpuCount = (): number => Math.max(1, cpus().length)

/** The machine's memory in bytes (what memory budgets are a fraction of). */
export const totalMemoryBytes = (): number => totalmem()

/** This process's resident memory in MiB (the browser: the JavaScript heap where it says, else 0). */
export const residentMiB = (): number => Math.round(process.memoryUsage.rss() / 2 ** 20)

/**
 * How many compiled kernels a backend keeps at once. Node: no count limit (the byte budget
 * rules). A browser's is {@link https://v8.dev/blog/sandbox V8's sandbox}: each WebAssembly
 * memory reserves its address space inside a 1 TiB cage, so a renderer process holds about 123
 * memories (measured in Chromium 150), and every webasm kernel has one.
 */
export const defaultMaxKernels = (): number => Infinity

/**
 * Runs `f` on a later turn of the event loop, after pending I/O (Node: `setImmediate`).
 *
 * @example
 * nextTurn(() => demand.next())
 */
export const nextTurn = (f: () => void): void => {
  setImmediate(f)
}

let relaxedSimdAsked = false
/**
 * Lets WebAssembly modules compiled from now on use relaxed SIMD (f32x4.relaxed_madd). Node 20's
 * V8 (11.3) has it behind `--experimental-wasm-relaxed-simd`; setting the flag at run time takes
 * effect for modules validated and compiled afterwards, in this thread and in worker threads
 * (V8's flags are process-wide). Browsers ship relaxed SIMD: there this does nothing. Called once,
 * when the first webasm backend is made, unless RXCEPTION_FMA=0.
 *
 * @example
 * enableRelaxedSimd()
 */
export const enableRelaxedSimd = (): void => {
  if (relaxedSimdAsked) return
  relaxedSimdAsked = true
  setFlagsFromString('--experimental-wasm-relaxed-simd')
}

let markingAsked = false
/**
 * Switches V8's major garbage collections from incremental to atomic marking, once per process,
 * unless RXCEPTION_INCREMENTAL_GC=1. Why: V8 starts a major collection for every 64 MiB of new
 * ArrayBuffer memory (its external-memory limit, not a flag), and a training step allocates
 * gigabytes of tensor data, so incremental marking never stops: 122 cycles and 1.95 s of marking
 * in 8 s of Inception-v4 75×75 batch-8 steps, its concurrent markers contending with the kernels'
 * worker threads for the cores. Atomic marking ran 37 collections in the same 8 s, 0.78 s of
 * pauses in all, and the step took 2.50-2.65 s instead of 3.05-3.44 (bench/ab-step.ts child runs;
 * docs/performance.md).
 * The JavaScript heap it marks is small (30 MiB), so the pauses are short (21 ms on average).
 * A process that set V8's flags at its start (the `rxception` command, bin/v8-flags.cjs, or
 * `--no-incremental-marking` on its command line) is left alone: changing the flag late is what
 * this does for a program that imports the library, and late changes are what broke V8's
 * concurrent marker under the tensor arena (see `startupSettings`). Browsers choose their own
 * collector: there this does nothing.
 *
 * @example
 * preferAtomicMarking() // once, before the work allocates
 */
export const preferAtomicMarking = (env: Env = environment()): void => {
  const raw = (env.RXCEPTION_INCREMENTAL_GC ?? '').trim()
  if (raw !== '' && raw !== '0' && raw !== '1') throw new Error(`RXCEPTION_INCREMENTAL_GC: expected 0 (atomic marking, the default) or 1 (V8's incremental marking), got '${raw}'`)
  if (markingAsked || raw === '1' || startupSettings().fromStart) return
  markingAsked = true
  setFlagsFromString('--no-incremental-marking')
}

/**
 * The command-line flags that start a Node process as bin/v8-flags.cjs sets up the `rxception`
 * command's (bench/suite.ts starts its case processes with them).
 *
 * @example
 * spawn(process.execPath, [...startupFlags(), 'script.js'])
 */
export const startupFlags = (env: Env = environment()): string[] =>
  (env.RXCEPTION_INCREMENTAL_GC ?? '').trim() === '1' ? ['--expose-gc'] : ['--expose-gc', '--no-incremental-marking']

/** What bin/v8-flags.cjs records (the same symbol). */
const STARTUP = Symbol.for('rxception.v8-startup')

/**
 * V8's garbage-collector settings made at the process's start: by bin/v8-flags.cjs (the
 * `rxception` command's first step, which records them) or on the command line (`node
 * --expose-gc --no-incremental-marking`, as bench/suite.ts starts its cases; Node refuses the
 * marking flag in NODE_OPTIONS, so only the command line is read). `gc` is V8's collector when
 * `--expose-gc` came at the start; `fromStart` whether the marking mode was chosen there too
 * (bin/v8-flags.cjs chooses it, atomic unless RXCEPTION_INCREMENTAL_GC=1): then nothing changes a
 * collector flag later, and the arena may be on. `node --expose-gc` alone is not enough: the
 * first backend would still switch the marking late.
 * Why it matters: with both flags changed at run time, after the process had worked a while,
 * Inception-ResNet-v2 299 inference over the tensor arena ended by a signal in 3 of 22 runs
 * (V8's concurrent marker: SIGSEGV, or its fatal "unreachable code"); set at the start, in none
 * of 60 (docs/performance.md). So the arena is on by default only where this has `gc`.
 *
 * @example
 * const { gc } = startupSettings() // undefined in a plain `node script.js`
 */
export const startupSettings = (): { readonly gc?: () => void; readonly fromStart: boolean } => {
  const record = (globalThis as Record<symbol, { gc: () => void } | undefined>)[STARTUP]
  if (record) return { gc: record.gc, fromStart: true }
  const gc = (globalThis as { gc?: unknown }).gc
  const fromStart = process.execArgv.some(a => /^--no[-_]?incremental[-_]marking$/.test(a))
  return typeof gc === 'function' ? { gc: gc as () => void, fromStart } : { fromStart }
}

/**
 * A full garbage collection now, for memory the collector cannot see (the webasm tensor arena:
 * its regions are freed by finalizers of views that only a collection finds unreachable). Needs
 * V8's `gc` from the process's start (`startupSettings`); the arena checks that when it is made.
 *
 * @example
 * collectGarbage()
 */
export const collectGarbage = (): void => {
  const { gc } = startupSettings()
  if (!gc) throw new Error('collectGarbage: V8\'s gc is not exposed; start node with --expose-gc --no-incremental-marking (the rxception command does)')
  gc()
}
