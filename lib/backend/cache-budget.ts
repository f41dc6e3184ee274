import { defaultMaxKernels, Env, environment, totalMemoryBytes } from '../platform'

/**
 * The kernel cache's default budget: a quarter of the machine's memory, at least 512 MiB. Large
 * enough that a training step's kernels stay compiled from step to step (Inception-v4 at 75×75
 * batch 8 holds about 0.6 GiB); a change of input size then evicts the old size's kernels
 * instead of adding to them.
 */
const defaultBudget = (): number => Math.max(512 * 2 ** 20, Math.floor(totalMemoryBytes() / 4))

/**
 * RXCEPTION_KERNEL_CACHE_MIB sets the kernel cache's budget (MiB); unset means a quarter of the memory.
 *
 * @example
 * cacheBudgetFromEnv({ RXCEPTION_KERNEL_CACHE_MIB: '1024' }) // 1073741824
 */
export const cacheBudgetFromEnv = (env: Env = environment()): number => {
  const raw = env.RXCEPTION_KERNEL_CACHE_MIB
  if (raw === undefined || raw === '') return defaultBudget()
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 2 ** 20) throw new Error(`RXCEPTION_KERNEL_CACHE_MIB: expected an integer number of MiB in [1, 1048576], got '${raw}'`)
  return n * 2 ** 20
}

/**
 * RXCEPTION_MAX_KERNELS caps how many compiled kernels a backend keeps (unset: the platform's
 * limit, none in Node, 48 in a browser).
 *
 * @example
 * maxKernelsFromEnv({ RXCEPTION_MAX_KERNELS: '64' }) // 64
 */
export const maxKernelsFromEnv = (env: Env = environment()): number => {
  const raw = env.RXCEPTION_MAX_KERNELS
  if (raw === undefined || raw === '') return defaultMaxKernels()
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 4) throw new Error(`RXCEPTION_MAX_KERNELS: expected an integer of at least 4, got '${raw}'`)
  return n
}
