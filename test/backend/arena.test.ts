import test from 'ava'
import { createBackendOf, traceKernels } from '../../lib/backend'
import { createArena, residentFromEnv } from '../../lib/backend/arena'
import { conv2d } from '../../lib/ops'
import { keyFromSeed, normal } from '../../lib/tensor'
import { flatten } from '../../lib/tree'
import { tinyTraining } from '../helpers/tiny'

const KiB = 1024

test('arena: freed neighbours merge, a region too large for the memory grows it, a full arena is one line naming RXCEPTION_RESIDENT', t => {
  const arena = createArena({ initialPages: 1, maximumPages: 8 })
  const a = arena.alloc(10 * KiB)
  const b = arena.alloc(10 * KiB)
  const c = arena.alloc(10 * KiB)
  t.true(a < b && b < c, 'first fit from the start')
  t.is(arena.stats.liveRegions, 3)
  arena.free(b)
  arena.free(a)
  t.is(arena.alloc(20 * KiB), a, 'the two freed regions merged into one that holds both sizes')
  t.is(arena.stats.pages, 1)
  arena.alloc(100 * KiB)
  t.true(arena.stats.pages > 1, 'the memory grew')
  t.throws(() => arena.alloc(600 * KiB), { message: /^webasm: the tensor memory is full .*RXCEPTION_RESIDENT=0/ })
  t.throws(() => arena.free(c + 64), { message: /no region/ })
  t.true(arena.due(600 * KiB), 'a region that cannot fit makes a collection due')
  t.false(arena.due(KiB))
})

test('arena: a region lives while any view of it does (subarrays too) and is freed by the collection after the last is gone', async t => {
  const arena = createArena({ initialPages: 4, maximumPages: 8 })
  const make = () => {
    const at = arena.alloc(4 * 1000)
    const view = arena.view(at, 1000)
    view.fill(7)
    return view.subarray(500, 600)
  }
  let part: Float32Array | undefined = make()
  await arena.collect()
  t.is(arena.stats.liveRegions, 1, 'the subarray keeps its region')
  t.is(arena.stats.finalized, 0)
  t.true(part.every(v => v === 7))
  t.true(arena.offsetOf(part, 100) > 0, 'a view of the arena is found where it lies')
  t.is(arena.offsetOf(part.slice(), 100), -1, 'a copy is not')
  t.is(arena.offsetOf(new Float32Array(100), 100), -1)
  part = undefined
  for (let i = 0; i < 5 && arena.stats.liveRegions > 0; i++) await arena.collect()
  t.is(arena.stats.liveRegions, 0, 'no view left: freed')
  t.is(arena.stats.finalized, 1)
  t.is(arena.stats.liveBytes, 0)
})

test('RXCEPTION_RESIDENT: 1 turns the arena on, 0 or unset leaves it off, anything else is refused', t => {
  t.true(residentFromEnv({ RXCEPTION_RESIDENT: '1' }))
  t.false(residentFromEnv({ RXCEPTION_RESIDENT: '0' }))
  t.false(residentFromEnv({}))
  t.throws(() => residentFromEnv({ RXCEPTION_RESIDENT: 'yes' }), { message: 'RXCEPTION_RESIDENT: expected 0 or 1, got "yes"' })
})

test('webasm over an arena: a convolution reads the one before it in place (no copy of it) and both give the copying backend\'s bits', async t => {
  const plain = createBackendOf('webasm', 'test', 2, undefined, {}, undefined, false)
  const resident = createBackendOf('webasm', 'test', 2, undefined, {}, undefined, true)
  t.is(plain.arena, undefined)
  t.truthy(resident.arena)
  const x = normal(keyFromSeed(1), [2, 9, 9, 16])
  const w1 = normal(keyFromSeed(2), [1, 1, 16, 32])
  const w2 = normal(keyFromSeed(3), [1, 1, 32, 8])
  const run = async (be: typeof plain) => {
    const y = await conv2d(x, w1, undefined, { relu: true }, be)
    const { value: z, trace } = await traceKernels(be, () => conv2d(y, w2, undefined, {}, be))
    return { y, z, copied: trace.copies!.inValues }
  }
  const a = await run(plain)
  const b = await run(resident)
  t.deepEqual(Array.from(b.y.data), Array.from(a.y.data))
  t.deepEqual(Array.from(b.z.data), Array.from(a.z.data))
  t.true(resident.arena!.offsetOf(b.y.data, b.y.size) > 0, 'the output lives in the arena')
  t.true(a.copied >= b.y.size, 'the copying backend copies the input in')
  t.true(b.copied < b.y.size, `over the arena the resident input is not copied (${b.copied} values copied)`)
  await plain.destroy()
  await resident.destroy()
})

test('webasm over an arena: a training step gives the copying backend\'s parameters and loss bit for bit', async t => {
  const step = async (resident: boolean) => {
    const be = createBackendOf('webasm', 'test', 2, undefined, {}, undefined, resident)
    const { step: run, batch, st0 } = tinyTraining(be)
    let st = st0
    const losses: number[] = []
    for (let i = 0; i < 3; i++) {
      const out = await run(st, batch)
      st = out.state
      losses.push(out.loss)
    }
    await be.destroy()
    return { losses, params: flatten(st.params).map(([p, v]) => [p, Array.from(v.data)] as const) }
  }
  const a = await step(false)
  const b = await step(true)
  t.deepEqual(b.losses, a.losses)
  t.deepEqual(b.params, a.params)
})
