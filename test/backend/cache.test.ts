import test from 'ava'
import { cacheBudgetFromEnv, createBackendOf } from '../../lib/backend'
import { maxKernelsFromEnv } from '../../lib/backend/cache-budget'
import { relu } from '../../lib/ops'
import { Tensor } from '../../lib/tensor'

// ava starts test processes with --expose-gc (package.json): no flag is changed late (see startupSettings)
const gc = (globalThis as unknown as { gc: () => void }).gc
const rssMiB = () => process.memoryUsage().rss / 2 ** 20
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise(r => setTimeout(r, 100))
  }
}

/** A tensor of n values, i % 7 - 3. */
const ramp = (n: number) => Tensor.adopt([n / 64, 64], Float32Array.from({ length: n }, (_, i) => (i % 7) - 3))

test.serial('the kernel cache stays within its budget: least recently used kernels are evicted, recompiled on demand, and their memory is released', async t => {
  const budget = 48 * 2 ** 20
  // per-kernel memories (the arena's tensors are not the cache's: its memory is the tensors' high-water mark)
  const be = createBackendOf('webasm', 'test', 2, budget, {}, undefined, false)
  await settle()
  const start = rssMiB()
  // eight shapes of 2^21 values: each kernel holds ~16 MiB (argument and output), 128 MiB in all
  const sizes = Array.from({ length: 8 }, (_, i) => (1 << 21) + 64 * 4 * i)
  for (const n of sizes) {
    const y = await relu(ramp(n), be)
    t.is(y.data[n - 1], Math.max(((n - 1) % 7) - 3, 0))
  }
  t.is(be.stats.compiled, 8)
  t.true(be.stats.cachedBytes <= budget, `${be.stats.cachedBytes} bytes cached`)
  t.true(be.stats.evicted >= 5, `${be.stats.evicted} evicted`)
  // the first shape was evicted: it compiles again and is still right
  const again = await relu(ramp(sizes[0]!), be)
  t.is(be.stats.compiled, 9)
  t.deepEqual(Array.from(again.data.slice(0, 7)), [0, 0, 0, 0, 1, 2, 3])
  await settle()
  const grown = rssMiB() - start
  // measured 90-98 MiB, now and then 105-114 (the process's own allocations move with the machine's
  // load); without eviction the eight kernels' memories alone are 128 MiB more than the budget's 48
  t.true(grown < 125, `RSS grew ${grown.toFixed(0)} MiB with a 48 MiB budget (without eviction: ~150)`)
  await be.destroy()
  await settle()
  t.true(rssMiB() - start < 60, `RSS ${(rssMiB() - start).toFixed(0)} MiB above the start after destroy`)
})

test('a kernel running when the cache is full is not evicted', async t => {
  const be = createBackendOf('webasm', 'test', 2, 1) // a 1-byte budget: every new kernel evicts all idle ones
  const xs = [ramp(1 << 16), ramp((1 << 16) + 64), ramp((1 << 16) + 128)]
  const ys = await Promise.all(xs.map(x => relu(x, be)))
  ys.forEach((y, i) => t.is(y.data[4], Math.max((4 % 7) - 3, 0), `output ${i}`))
  t.is(be.stats.compiled, 3)
  await be.destroy()
})

test('RXCEPTION_KERNEL_CACHE_MIB sets the budget; a bad value names the variable', t => {
  t.is(cacheBudgetFromEnv({ RXCEPTION_KERNEL_CACHE_MIB: '256' }), 256 * 2 ** 20)
  t.true(cacheBudgetFromEnv({}) >= 512 * 2 ** 20)
  t.throws(() => cacheBudgetFromEnv({ RXCEPTION_KERNEL_CACHE_MIB: '1.5' }), { message: "RXCEPTION_KERNEL_CACHE_MIB: expected an integer number of MiB in [1, 1048576], got '1.5'" })
})

test.serial('a backend keeps at most maxKernels compiled: at the limit it evicts down to half, and evicted kernels recompile and stay right', async t => {
  const be = createBackendOf('webasm', 'test', 2, 2 ** 30, {}, 8)
  t.is(be.maxKernels, 8)
  const sizes = Array.from({ length: 12 }, (_, i) => 64 * (i + 1))
  for (const n of sizes) t.is((await relu(ramp(n), be)).data[n - 1], Math.max(((n - 1) % 7) - 3, 0))
  t.is(be.stats.compiled, 12)
  // the ninth kernel found 8 kept: 5 were evicted (down to 3 kept), then 4 more compiled
  t.is(be.stats.evicted, 5)
  const again = await relu(ramp(sizes[0]!), be)
  t.is(be.stats.compiled, 13, 'the first, evicted, compiles again')
  t.deepEqual(Array.from(again.data.slice(0, 7)), [0, 0, 0, 0, 1, 2, 3])
  await be.destroy()
})

test('RXCEPTION_MAX_KERNELS sets the count limit and refuses nonsense', t => {
  t.is(maxKernelsFromEnv({ RXCEPTION_MAX_KERNELS: '64' }), 64)
  t.is(maxKernelsFromEnv({}), Infinity)
  t.throws(() => maxKernelsFromEnv({ RXCEPTION_MAX_KERNELS: '2' }), { message: /RXCEPTION_MAX_KERNELS: expected an integer of at least 4, got '2'/ })
})
