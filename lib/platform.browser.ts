/**
 * The browser's variant of the platform module (see `./platform.ts`, whose exports it mirrors): no
 * environment, `navigator` for the machine, `MessageChannel` for a turn of the event loop
 * (`setTimeout(0)` is clamped to 4 ms after a few nested calls, a step's worth on small kernels).
 *
 * @example
 * const threads = cpuCount()
 */
export const PLATFORM = 'browser' as 'node' | 'browser'

/** Settings from the environment, as text (Node: `process.env`; the browser has none). */
export type Env = Readonly<Record<string, string | undefined>>

const NONE: Env = Object.freeze({})

/** The environment settings are read from: empty in a browser (the defaults apply; `createBackendOf` takes threads, budget and kernel limit in code). */
export const environment = (): Env => NONE

const nav = (): { hardwareConcurrency?: number; deviceMemory?: number } => (typeof navigator === 'undefined' ? {} : (navigator as never))

/**
 * Cores worker threads may use: the browser's `navigator.hardwareConcurrency` in a
 * cross-origin-isolated page, else 1 (without SharedArrayBuffer gpu.js's webasm pool cannot share
 * a kernel's memory, and runs it on one thread).
 */
export const cpuCount = (): number => ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true ? Math.max(1, nav().hardwareConcurrency ?? 1) : 1)

/** `navigator.deviceMemory` (Chromium: rounded, at most 8 GiB), else 4 GiB. */
export const totalMemoryBytes = (): number => (nav().deviceMemory ?? 4) * 2 ** 30

/** The JavaScript heap in MiB where the browser says (Chromium's `performance.memory`), else 0. */
export const residentMiB = (): number => {
  const memory = (performance as { memory?: { usedJSHeapSize: number } }).memory
  return memory ? Math.round(memory.usedJSHeapSize / 2 ** 20) : 0
}

/**
 * Chromium's V8 sandbox holds about 123 WebAssembly memories per renderer process (measured:
 * Chromium 150, shared or not, whatever their size), and each webasm kernel has one; a page and
 * its training worker share the process, so a backend keeps at most 48 kernels compiled.
 */
export const defaultMaxKernels = (): number => 48

let channel: MessageChannel | undefined
const queue: (() => void)[] = []

/** Runs `f` on a later turn of the event loop (a MessageChannel message: not clamped like timers). */
export const nextTurn = (f: () => void): void => {
  if (!channel) {
    channel = new MessageChannel()
    channel.port1.onmessage = () => queue.shift()?.()
  }
  queue.push(f)
  channel.port2.postMessage(0)
}

/**
 * Browsers ship relaxed SIMD (Chromium 114+): nothing to enable (see the Node variant).
 *
 * @example
 * enableRelaxedSimd()
 */
export const enableRelaxedSimd = (): void => undefined

/** The browser chooses its own garbage collector (see `./platform.ts`): nothing to do. */
export const preferAtomicMarking = (_env: Env = NONE): void => undefined

/** The browser has no collector to call: its engine collects when it will (the arena is Node-only). */
export const collectGarbage = (): void => undefined

/**
 * A page cannot set its engine's flags (see `./platform.ts`): nothing was set at its start.
 *
 * @example
 * startupSettings().fromStart // false
 */
export const startupSettings = (): { readonly gc?: () => void; readonly fromStart: boolean } => ({ fromStart: false })

/**
 * A page starts no processes (see `./platform.ts`).
 *
 * @example
 * startupFlags() // []
 */
export const startupFlags = (_env: Env = NONE): string[] => []
