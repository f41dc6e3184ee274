import { totalmem } from 'os'

/**
 * The kernel cache's default budget: a quarter of the machine's memory, at least 512 MiB. Large
 * enough that a training step's kernels stay compiled from step to step (Inception-v4 at 75×75
 * batch 8 holds about 0.6 GiB); a change of input size then evicts the old size's kernels
 * instead of adding to them.
 */
const DEFAULT_BUDGET = Math.max(512 * 2 ** 20, Math.floor(totalmem() / 4))

/**
 * RXCEPTION_KERNEL_CACHE_MIB sets the kernel cache's budget (MiB); unset means a quarter of the memory.
 *
 * @example
 * cacheBudgetFromEnv({ RXCEPTION_KERNEL_CACHE_MIB: '1024' }) // 1073741824
 */
export const cacheBudgetFromEnv = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.RXCEPTION_KERNEL_CACHE_MIB
  if (raw === undefined || raw === '') return DEFAULT_BUDGET
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 2 ** 20) throw new Error(`RXCEPTION_KERNEL_CACHE_MIB: expected an integer number of MiB in [1, 1048576], got '${raw}'`)
  return n * 2 ** 20
}
