import test from 'ava'
import { spawnSync } from 'child_process'
import * as path from 'path'
import { createBackendOf, traceKernels } from '../../lib/backend'
import { createArena, plainView, residentFromEnv } from '../../lib/backend/arena'
import { conv2d } from '../../lib/ops'
import { keyFromSeed, normal } from '../../lib/tensor'
import { flatten } from '../../lib/tree'
import { tinyTraining } from '../helpers/tiny'

const KiB = 1024

test('arena: a freed region is reused at its size; freed neighbours merge when nothing else fits; the memory grows; a full arena is one line naming RXCEPTION_RESIDENT', t => {
  const fixed = createArena({ initialPages: 1, maximumPages: 1 })
  const a = fixed.alloc(20 * KiB)
  const b = fixed.alloc(20 * KiB)
  const c = fixed.alloc(20 * KiB)
  t.true(a < b && b < c, 'first fit from the start')
  t.is(fixed.stats.liveRegions, 3)
  fixed.free(b)
  t.is(fixed.alloc(20 * KiB), b, 'the same size takes the freed region')
  fixed.free(b)
  fixed.free(a)
  t.false(fixed.due([KiB]), 'a small region fits the free space')
  t.is(fixed.alloc(40 * KiB), a, 'the two freed neighbours merged into one that holds both')
  t.throws(() => fixed.alloc(20 * KiB), { message: /^webasm: the tensor memory is full .*RXCEPTION_RESIDENT=0/ })
  t.throws(() => fixed.free(c + 64), { message: /no region/ })
  t.true(fixed.due([20 * KiB]), 'a region that cannot fit makes a collection due')
  t.false(fixed.fits([20 * KiB]))

  const growing = createArena({ initialPages: 1, maximumPages: 8 })
  growing.alloc(100 * KiB)
  t.true(growing.stats.pages > 1, 'the memory grew')
  t.true(growing.fits([300 * KiB]), 'room to grow counts')
  t.false(growing.fits([600 * KiB]))
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
  const plain = plainView(part)
  t.is(plain.constructor, Float32Array, 'plainView: the engine\'s own Float32Array (its subarray is the fast one)')
  t.is(plain.buffer, part.buffer)
  t.is(plain.byteOffset, part.byteOffset)
  t.is(plain.length, part.length)
  t.is(arena.offsetOf(plain, 100), -1, 'plainView holds no owner, so the arena does not take it for a resident tensor')
  const ordinary = new Float32Array(3)
  t.is(plainView(ordinary), ordinary)
  part = undefined
  for (let i = 0; i < 5 && arena.stats.liveRegions > 0; i++) await arena.collect()
  t.is(arena.stats.liveRegions, 0, 'no view left: freed')
  t.is(arena.stats.finalized, 1)
  t.is(arena.stats.liveBytes, 0)
})

test('RXCEPTION_RESIDENT: unset, the arena is on where V8\'s gc came with the process\'s start; 1 and 0 choose; anything else is refused', t => {
  t.true(residentFromEnv({ RXCEPTION_RESIDENT: '1' }, false))
  t.false(residentFromEnv({ RXCEPTION_RESIDENT: '0' }, true))
  t.true(residentFromEnv({}, true))
  t.false(residentFromEnv({}, false))
  // ava starts this process with --expose-gc --no-incremental-marking (package.json)
  t.true(residentFromEnv({}))
  t.throws(() => residentFromEnv({ RXCEPTION_RESIDENT: 'yes' }), { message: 'RXCEPTION_RESIDENT: expected 0 or 1, got "yes"' })
})

const root = path.join(__dirname, '..', '..')
/** `node -e SCRIPT` in the repository with tsx and no V8 flags on its command line (a script may set them first). */
const plainNode = (script: string, env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } })
  if (r.error || r.signal) throw new Error(`node -e: ${r.error?.message ?? `killed by ${r.signal}`} (hang guard)`)
  return r
}

test('a plain node process copies by default; RXCEPTION_RESIDENT=1 there is one line naming the flags it needs; bin/v8-flags.cjs first turns the arena on', t => {
  const make = "require('./lib/backend').createBackend('webasm').then(b => { console.log(b.arena ? 'arena' : 'copying'); return b.destroy() }).catch(e => { console.error(e.message); process.exit(1) })"
  t.is(plainNode(make).stdout.trim(), 'copying')
  const refused = plainNode(make, { RXCEPTION_RESIDENT: '1' })
  t.is(refused.status, 1)
  t.regex(refused.stderr.trim(), /^webasm: the tensor arena needs node started with --expose-gc --no-incremental-marking .*RXCEPTION_RESIDENT=0 to copy$/)
  // --expose-gc alone: the first backend would still switch the marking late, so no arena by default
  const gcOnly = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', make], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  t.is(gcOnly.stdout.trim(), 'copying')
  t.is(plainNode(`require('./bin/v8-flags.cjs').setStartupFlags(); ${make}`).stdout.trim(), 'arena')
  t.is(plainNode(`require('./bin/v8-flags.cjs').setStartupFlags(); ${make}`, { RXCEPTION_RESIDENT: '0' }).stdout.trim(), 'copying')
})

test('the rxception command keeps webasm tensors resident by default and says so; RXCEPTION_RESIDENT=0 copies', t => {
  const cli = path.join(root, 'bin', 'rxception.js')
  const selects = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [cli, 'backends'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, RXCEPTION_BACKEND: 'webasm', ...env } })
    if (r.error || r.signal) throw new Error(`rxception backends: ${r.error?.message ?? `killed by ${r.signal}`} (hang guard)`)
    return r.stdout.split('\n').find(l => l.startsWith('RXCEPTION_BACKEND=')) ?? r.stderr
  }
  t.regex(selects({}), /selects: webasm \(.*, resident tensors\)$/)
  t.notRegex(selects({ RXCEPTION_RESIDENT: '0' }), /resident/)
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

test('webasm over a full arena: a call that does not fit after a collection runs in a memory of its own, with the same bits', async t => {
  const x = normal(keyFromSeed(4), [2, 16, 16, 32])
  const w = normal(keyFromSeed(5), [1, 1, 32, 64]) // an output of 128 KiB
  const plain = createBackendOf('webasm', 'test', 2, undefined, {}, undefined, false)
  const small = createArena({ initialPages: 1, maximumPages: 2 })
  const resident = createBackendOf('webasm', 'test', 2, undefined, {}, undefined, small)
  t.is(resident.arena, small)
  const a = await conv2d(x, w, undefined, {}, plain)
  const b = await conv2d(x, w, undefined, {}, resident)
  t.deepEqual(Array.from(b.data), Array.from(a.data))
  t.is(small.offsetOf(b.data, 0), -1, 'the output was copied out of the kernel\'s own memory')
  t.true(small.stats.collections >= 1, 'a collection was tried first')
  await plain.destroy()
  await resident.destroy()
})

test('webasm over an arena: a threaded call runs its first range on the calling thread (caller range), with the bits of a run that leaves every range to the workers', async t => {
  const be = createBackendOf('webasm', 'webasm', 2, undefined, undefined, undefined, true)
  try {
    // 2^16 cells: over the pool's 4,096-cell threshold, so the call is threaded and split in two
    const n = 1 << 16
    const source = 'function (a) { return a[this.thread.x] * 3 + Math.sqrt(this.thread.x) }'
    const input = Float32Array.from({ length: n }, (_, i) => (i % 97) / 7)
    // the gpu.js kernel behind the backend's wrapper, for the path its last run took
    const kernelOf = (callerRange: boolean) => {
      let built: any
      const run = be.kernel(`caller-range.${callerRange}`, (gpu, settings) => (built = gpu.createKernel(source, { ...settings, callerRange, output: [n] } as any)))
      return { run, path: () => built.kernel._lastRunPath as string }
    }
    const withCaller = kernelOf(true)
    const workersOnly = kernelOf(false)
    const a = (await withCaller.run(input)) as Float32Array
    const b = (await workersOnly.run(input)) as Float32Array
    t.is(withCaller.path(), 'threaded+caller')
    t.is(workersOnly.path(), 'threaded')
    t.true(be.arena!.offsetOf(a, n) >= 0, 'the output is resident')
    t.deepEqual(Array.from(a), Array.from(b))
    t.is(a[5], Math.fround(Math.fround(input[5]! * 3) + Math.fround(Math.sqrt(5))))
  } finally {
    await be.destroy()
  }
})
