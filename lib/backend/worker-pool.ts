import { cpuCount, Env, environment } from '../platform'
import { gpujsModule } from './gpujs'

/**
 * One WebAssembly worker pool per backend, shared by every kernel. gpu.js 2.24.1 gives each webasm
 * kernel a pool of its own on first threaded run (`kernel._pool ??= new WebAssemblyWorkerPool(n)`),
 * so a network's few hundred kernels held ~165 threads and most of a 1.7 GB RSS on two cores.
 * Entry ids are global in gpu.js (a module counter), so one pool can serve every kernel: we hand
 * each compiled kernel the backend's pool before its first run. A kernel's own `destroy()` then
 * must not end the shared pool: `destroy` is a no-op here and the backend calls `close()`.
 * gpu.js is pinned exactly; test/backend/pool.test.ts fails if this stops holding.
 */
interface GpuPool {
  readonly size: number
  readonly liveWorkerCount: number
  release(entryId: number): void
  destroy(): void
}

type PoolClass = new (size: number) => GpuPool

const { WebAssemblyWorkerPool } = gpujsModule<{ WebAssemblyWorkerPool: PoolClass }>('src/backend/web-assembly/worker-pool.js')

export interface SharedPool extends GpuPool {
  /** Terminates the workers (the backend's destroy). */
  close(): void
}

/** Worker threads a backend's pool may run: RXCEPTION_THREADS, else one per core. */
export const poolSizeFromEnv = (env: Env = environment()): number => {
  const raw = env.RXCEPTION_THREADS
  if (raw === undefined || raw === '') return cpuCount()
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 256) throw new Error(`RXCEPTION_THREADS: expected an integer in [1, 256], got '${raw}'`)
  return n
}

/**
 * Whether a threaded webasm run over the tensor arena takes its first range on the calling thread
 * (patch, caller range: one message to the pool fewer per call; the thread that would wait for
 * the workers computes) or hands every range to the workers (RXCEPTION_CALLER_RANGE=0).
 *
 * @example
 * callerRangeFromEnv({ RXCEPTION_CALLER_RANGE: '0' }) // false
 */
export const callerRangeFromEnv = (env: Env = environment()): boolean => {
  const raw = (env.RXCEPTION_CALLER_RANGE ?? '').trim()
  if (raw === '' || raw === '1') return true
  if (raw === '0') return false
  throw new Error(`RXCEPTION_CALLER_RANGE: expected 0 or 1, got '${raw}'`)
}

/**
 * @example
 * const pool = sharedPool(2)
 * attachPool(compiledKernel, pool) // before its first run
 * pool.close()
 */
export const sharedPool = (size: number): SharedPool => {
  const pool = new WebAssemblyWorkerPool(size)
  const close = pool.destroy.bind(pool)
  return Object.assign(pool, { destroy: () => undefined, close })
}

/**
 * Hands a compiled webasm kernel the shared pool (gpu.js's kernel-run shortcut keeps the kernel
 * object in `.kernel`; its pool field starts null). Returns whether it took.
 */
/**
 * Destroys a compiled kernel and frees what it holds: its WebAssembly memories and, in the shared
 * pool's workers, their instances of those memories (the kernel's own destroy does not release
 * them from a pool it does not own).
 *
 * @example
 * retireKernel(compiled, pool) // the kernel cache evicting its least recently used kernel
 */
export const retireKernel = (compiled: unknown, pool: SharedPool | undefined): void => {
  const kernel = (compiled as { kernel?: { _moduleCache?: Map<unknown, { id: number; shared: boolean }>; destroy?: () => void } }).kernel
  if (!kernel) return
  if (pool && kernel._moduleCache) {
    for (const entry of kernel._moduleCache.values()) if (entry.shared) pool.release(entry.id)
  }
  kernel.destroy?.()
}

export const attachPool = (compiled: unknown, pool: SharedPool, replace = false): boolean => {
  const kernel = (compiled as { kernel?: { _pool?: unknown } }).kernel
  if (!kernel || (kernel._pool !== null && !replace)) return false
  kernel._pool = pool
  return true
}
