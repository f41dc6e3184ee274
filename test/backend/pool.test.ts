import test from 'ava'
import { readdirSync } from 'fs'
import { createBackendOf } from '../../lib/backend'
import { callerRangeFromEnv, poolSizeFromEnv } from '../../lib/backend/worker-pool'
import { add, mul, relu, scale, scaledAdd } from '../../lib/ops'
import { keyFromSeed, normal } from '../../lib/tensor'

/** Threads of this process (Linux). */
const threads = () => readdirSync('/proc/self/task').length

test('every webasm kernel of a backend shares one worker pool: threads grow by the pool size, not per kernel, and end with destroy', async t => {
  const be = createBackendOf('webasm', 'test', 2)
  t.is(be.threads, 2)
  const before = threads()
  const x = normal(keyFromSeed(1), [256, 256]) // 65,536 cells: large enough to run threaded
  const y = normal(keyFromSeed(2), [256, 256])
  const outs = [await relu(x, be), await add(x, y, be), await mul(x, y, be), await scale(x, 3, be), await scaledAdd(x, y, 0.5, be)]
  // five kernels compiled and run threaded; per-kernel pools would have started ten workers
  t.is(be.stats.compiled, 5)
  t.true(threads() - before <= 2, `${threads() - before} new threads`)
  t.deepEqual(Array.from(outs[0]!.data.slice(0, 100)), Array.from(x.data.slice(0, 100), v => Math.max(v, 0)))
  t.deepEqual(Array.from(outs[3]!.data.slice(0, 100)), Array.from(x.data.slice(0, 100), v => Math.fround(3 * v)))
  await be.destroy()
  await new Promise(r => setTimeout(r, 200))
  t.true(threads() <= before, `${threads()} threads after destroy, ${before} before`)
})

test('RXCEPTION_THREADS sets the pool size; a bad value is refused with the variable named', t => {
  t.is(poolSizeFromEnv({ RXCEPTION_THREADS: '3' }), 3)
  t.true(poolSizeFromEnv({}) >= 1)
  t.throws(() => poolSizeFromEnv({ RXCEPTION_THREADS: '0x2' }), { message: "RXCEPTION_THREADS: expected an integer in [1, 256], got '0x2'" })
  t.throws(() => poolSizeFromEnv({ RXCEPTION_THREADS: '0' }), { message: /RXCEPTION_THREADS/ })
})

test('RXCEPTION_CALLER_RANGE: unset or 1 lets the calling thread take a range, 0 leaves every range to the workers; anything else is refused', t => {
  t.true(callerRangeFromEnv({}))
  t.true(callerRangeFromEnv({ RXCEPTION_CALLER_RANGE: '1' }))
  t.false(callerRangeFromEnv({ RXCEPTION_CALLER_RANGE: '0' }))
  t.throws(() => callerRangeFromEnv({ RXCEPTION_CALLER_RANGE: 'yes' }), { message: "RXCEPTION_CALLER_RANGE: expected 0 or 1, got 'yes'" })
})
