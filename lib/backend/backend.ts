import { GPU } from './gpujs'
import { mayHaveGpu, Probe, probeHeadlessGL, probeWebAssembly, probeWebGL, probeWebGPU } from './probe'
import { attachPool, callerRangeFromEnv, poolSizeFromEnv, retireKernel, sharedPool, SharedPool } from './worker-pool'
import { cacheBudgetFromEnv, maxKernelsFromEnv } from './cache-budget'
import { Env, environment, preferAtomicMarking } from '../platform'
import { Capabilities, capabilitiesOf, relocatableRegions } from './capabilities'
import { Arena, createArena, residentFromEnv } from './arena'

/**
 * The backend's one worker pool, made on first use. Workers keep their own instance of every
 * kernel's shared memory and free it only when their isolate collects garbage, which an idle
 * worker rarely does; so after evictions the pool is replaced (the old workers end, their memory
 * with them) once no kernel is running.
 */
const poolHolder = (threads: number) => {
  let pool: SharedPool | undefined
  return {
    get: (): SharedPool => (pool ??= sharedPool(threads)),
    peek: (): SharedPool | undefined => pool,
    /** A fresh pool for `kernels` (all idle); the old one's workers end. */
    replace(kernels: readonly unknown[]): void {
      if (!pool) return
      const old = pool
      pool = sharedPool(threads)
      for (const k of kernels) attachPool(k, pool, true)
      old.close()
    },
  }
}

/**
 * A backend that runs kernels: webasm, cpu, webgpu; headlessgl in Node; webgl2 and webgl in a browser.
 *
 * @example
 * const be = await createBackend('webasm' satisfies ConcreteMode)
 */
export type ConcreteMode = 'webasm' | 'cpu' | 'headlessgl' | 'webgpu' | 'webgl2' | 'webgl'
/**
 * A concrete mode, or auto (a hardware GPU, else webasm).
 *
 * @example
 * const be = await createBackend(process.env.RXCEPTION_BACKEND as Mode ?? 'auto')
 */
export type Mode = 'auto' | ConcreteMode
/**
 * Every mode, for flag checks.
 *
 * @example
 * MODES.includes(flag as Mode)
 */
export const MODES: readonly Mode[] = ['auto', 'webasm', 'cpu', 'headlessgl', 'webgpu', 'webgl2', 'webgl']

/**
 * Every concrete mode, in the order `auto` prefers the GPU ones.
 *
 * @example
 * const found = await availability(CONCRETE_MODES)
 */
export const CONCRETE_MODES: readonly ConcreteMode[] = ['webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu']

/**
 * A compiled gpu.js kernel: always called under the async contract (it returns a Promise).
 *
 * @example
 * const k: Kernel = backend.kernel(key, gpu => gpu.createKernel(source, settings))
 * await k(a, b)
 */
export type Kernel = (...args: unknown[]) => Promise<unknown>

/**
 * One gpu.js instance and its kernel cache. Kernels are compiled once per (op, shape) key: after a
 * training loop's first step, `stats.compiled` stops growing. Each compiled kernel holds memory the
 * size of its arguments and output (a WebAssembly memory on webasm); the cache keeps them within
 * `cacheBudget` bytes, evicting the least recently used kernel that is not running (a later call
 * recompiles it). `stats.cachedBytes` is what the cache holds now, `stats.evicted` how many it let go.
 *
 * @example
 * const be: Backend = await createBackend('auto')
 * console.log(be.mode, be.device, be.stats.compiled)
 */
export interface Backend {
  readonly mode: ConcreteMode
  /** What runs the kernels (a GL renderer string, an adapter, or the CPU). */
  readonly device: string
  readonly stats: { compiled: number; calls: number; evicted: number; cachedBytes: number }
  /** The kernel cache's budget in bytes (RXCEPTION_KERNEL_CACHE_MIB sets it). */
  readonly cacheBudget: number
  /** The most compiled kernels kept at once (RXCEPTION_MAX_KERNELS; a browser's default is 48, see lib/platform.browser.ts). */
  readonly maxKernels: number
  /** Worker threads the backend may run (webasm: one shared pool; RXCEPTION_THREADS sets it). */
  readonly threads: number
  /** What its kernels can do beyond stock gpu.js (wide tiles, direct stores), found at creation. */
  readonly capabilities: Capabilities
  /** webasm's tensors in one memory its kernels share (see `Arena`): in Node, where V8's flags came with the process's start (`residentFromEnv`). */
  readonly arena?: Arena
  /** The compiled kernel for `key`, built on first use; `bytes` is what one call holds (arguments and output). */
  kernel(key: string, build: (gpu: GPU, settings: KernelSettings) => unknown, bytes?: number): Kernel
  destroy(): Promise<void>
}

/**
 * Settings every kernel gets: single precision, the async contract (threads on webasm), the pool size.
 *
 * @example
 * backend.kernel(key, (gpu, settings) => gpu.createKernel(source, { ...settings, output: [n] }))
 */
export interface KernelSettings {
  readonly precision: 'single'
  readonly asyncMode: true
  readonly poolSize: number
  readonly tactic: 'precision'
  readonly dynamicOutput: false
  readonly dynamicArguments: false
  /** webasm with resident tensors: the backend's arena (patch part 15). */
  readonly arena?: Arena
  /** With the arena: the calling thread runs the first range of a threaded call (`callerRangeFromEnv`). */
  readonly callerRange?: boolean
}

const gpuMode = (mode: ConcreteMode): string => (mode === 'webasm' ? 'webasm' : mode)

/**
 * A backend of a mode without probing (tests; createBackend probes). In Node the first one also
 * switches V8 to atomic marking for the process (`preferAtomicMarking`; RXCEPTION_INCREMENTAL_GC=1
 * keeps incremental marking).
 *
 * @example
 * const be = createBackendOf('cpu', 'CPU (plain JavaScript)')
 */
export const createBackendOf = (
  mode: ConcreteMode, device: string, threads = poolSizeFromEnv(), cacheBudget = cacheBudgetFromEnv(), limit: Partial<Capabilities> = {}, maxKernels = maxKernelsFromEnv(),
  resident: boolean | Arena = residentFromEnv(),
): Backend => {
  // tensors are ArrayBuffers, allocated by the gigabyte: see preferAtomicMarking
  preferAtomicMarking()
  const capabilities = capabilitiesOf(mode, limit)
  const gpu = new GPU({ mode: gpuMode(mode) } as any)
  // Map order is recency order: a hit moves its key to the end
  const cache = new Map<string, Cached>()
  const stats = { compiled: 0, calls: 0, evicted: 0, cachedBytes: 0 }
  // one pool for every kernel of this backend (see worker-pool.ts); made when the first kernel is
  const pool = mode === 'webasm' ? poolHolder(threads) : undefined
  let released = 0 // bytes evicted whose memory the pool's workers may still hold
  const arena = mode !== 'webasm' || !resident || !relocatableRegions() ? undefined : resident === true ? createArena() : resident
  const settings: KernelSettings = {
    precision: 'single',
    asyncMode: true,
    poolSize: threads,
    tactic: 'precision',
    dynamicOutput: false,
    dynamicArguments: false,
    ...(arena ? { arena, callerRange: callerRangeFromEnv() } : {}),
  }
  /**
   * Evicts least recently used idle kernels until `incoming` more bytes fit the budget and one
   * more kernel fits the count; at the count limit it evicts down to half of it at once, so the
   * pool is replaced once per many compiles rather than at each.
   */
  const makeRoom = (incoming: number): void => {
    const keep = cache.size + 1 > maxKernels ? Math.floor(maxKernels / 2) : Infinity
    for (const [key, c] of cache) {
      if (stats.cachedBytes + incoming <= cacheBudget && cache.size < keep) return
      if (c.running > 0) continue
      cache.delete(key)
      stats.cachedBytes -= c.bytes
      stats.evicted++
      released += c.bytes
      retireKernel(c.compiled, pool?.peek())
    }
  }
  /** Ends the workers holding evicted memory, once nothing runs. */
  const releaseEvicted = (): void => {
    if (!pool || released === 0 || [...cache.values()].some(c => c.running > 0)) return
    pool.replace([...cache.values()].map(c => c.compiled))
    released = 0
  }
  return {
    mode,
    // benchmark rows and progress lines name the backend by this: say which memory model ran
    device: arena ? `${device}, resident tensors` : device,
    stats,
    threads,
    cacheBudget,
    maxKernels,
    capabilities,
    ...(arena ? { arena } : {}),
    kernel(key, build, bytes = 0) {
      let c = cache.get(key)
      if (c) {
        cache.delete(key)
        cache.set(key, c)
        return c.run
      }
      makeRoom(bytes)
      releaseEvicted()
      const compiled = build(gpu, settings) as (...args: unknown[]) => unknown
      if (pool) attachPool(compiled, pool.get())
      stats.compiled++
      const entry: Cached = {
        compiled,
        bytes,
        running: 0,
        run: async (...args: unknown[]) => {
          stats.calls++
          entry.running++
          try {
            return await compiled(...args)
          } finally {
            entry.running--
          }
        },
      }
      c = entry
      stats.cachedBytes += bytes
      cache.set(key, c)
      return c.run
    },
    async destroy() {
      cache.clear()
      stats.cachedBytes = 0
      await gpu.destroy()
      pool?.peek()?.close()
    },
  }
}

/** A compiled kernel in the cache: what it holds and whether a call is running on it. */
interface Cached {
  readonly compiled: (...args: unknown[]) => unknown
  readonly bytes: number
  running: number
  readonly run: Kernel
}

/**
 * A mode and what its probe found.
 *
 * @example
 * for (const a of await availability()) console.log(a.mode, a.probe.available)
 */
export interface Availability {
  readonly mode: ConcreteMode
  readonly probe: Probe
}

const CPU_PROBE: Probe = { available: true, device: 'CPU (plain JavaScript)', software: false }

/** What one mode's probe finds (the GPU ones load their bindings on first call). */
const probeOf = async (mode: ConcreteMode): Promise<Probe> => {
  switch (mode) {
    case 'webasm': return probeWebAssembly(GPU.isWebAssemblySupported)
    case 'cpu': return CPU_PROBE
    case 'headlessgl': return probeHeadlessGL()
    case 'webgpu': return probeWebGPU()
    case 'webgl2': return probeWebGL(2)
    case 'webgl': return probeWebGL(1)
    default: throw new Error(`backend: expected one of ${MODES.join(', ')}, got '${String(mode)}'`)
  }
}

/**
 * Which concrete backends work here, with what each found.
 *
 * @example
 * const found = await availability()
 */
export const availability = async (modes: readonly ConcreteMode[] = CONCRETE_MODES): Promise<Availability[]> =>
  Promise.all(modes.map(async mode => ({ mode, probe: await probeOf(mode) })))

/**
 * auto's rule: a hardware GPU (WebGPU, then headless GL, WebGL 2, WebGL), else webasm, else cpu; never a software GPU.
 *
 * @example
 * pickAuto(await availability()).mode // 'webasm' on a CPU-only machine
 */
export const pickAuto = (found: readonly Availability[]): Availability => {
  const pick = (m: ConcreteMode) => found.find(a => a.mode === m)
  const usable = (a: Availability | undefined) => !!a && a.probe.available && !a.probe.software
  return (['webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm'] as const).map(pick).find(usable) ?? pick('cpu') ?? { mode: 'cpu', probe: CPU_PROBE }
}

/**
 * Resolves a mode to a backend. `auto` takes a hardware GPU (WebGPU first, then headless GL) and
 * otherwise `webasm`: a software-emulated GPU is never preferred over webasm. An explicit mode that
 * is unavailable is an error naming why, never a silent fallback.
 *
 * @example
 * const backend = await createBackend('auto') // or 'webasm', 'cpu', 'headlessgl', 'webgpu'
 * try { await ops.relu(x, backend) } finally { await backend.destroy() }
 */
export const createBackend = async (mode: Mode = modeFromEnv()): Promise<Backend> => {
  if (mode === 'auto') {
    // without a GPU device node there is no hardware GPU to find: the GPU probes are skipped
    const choice = pickAuto(await availability(mayHaveGpu() ? CONCRETE_MODES : ['webasm', 'cpu']))
    return createBackendOf(choice.mode, choice.probe.device)
  }
  const probe = await probeOf(mode)
  if (!probe.available) {
    throw new Error(`backend '${mode}' is not available here: ${probe.reason ?? 'unsupported platform'}`)
  }
  return createBackendOf(mode, probe.device)
}

/**
 * RXCEPTION_BACKEND chooses the mode; unset means auto.
 *
 * @example
 * modeFromEnv({ RXCEPTION_BACKEND: 'cpu' }) // 'cpu'
 */
export const modeFromEnv = (env: Env = environment()): Mode => {
  const m = (env.RXCEPTION_BACKEND ?? 'auto').trim()
  if (!(MODES as readonly string[]).includes(m)) {
    throw new Error(`RXCEPTION_BACKEND: expected one of ${MODES.join(', ')}, got '${m}'`)
  }
  return m as Mode
}
