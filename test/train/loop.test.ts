import test from 'ava'
import { isRight } from 'fp-ts/Either'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { Subject, lastValueFrom, tap, toArray } from 'rxjs'
import { compose, normalize, randomCrop } from '../../lib/data'
import { flatten } from '../../lib/nn'
import { rmsproptf } from '../../lib/optim'
import { stepDecay } from '../../lib/schedule'
import { Tensor, keyFromSeed } from '../../lib/tensor'
import { NonFiniteError, TrainEvent, TrainLoop, TrainState, readCheckpoint, train, trainStep, writeCheckpoint } from '../../lib/train'
import { backendFor } from '../helpers/backends'
import { tinyDataset, tinyNet } from '../helpers/tiny'

const setup = async (n = 24, batchSize = 4): Promise<TrainLoop & { dataset: ReturnType<typeof tinyDataset> }> => {
  const backend = await backendFor('webasm')
  const net = tinyNet()
  const key = keyFromSeed(7)
  const { params, state } = net.init(key, [batchSize, 6, 6, 1])
  const optimizer = rmsproptf({ weightDecay: 1e-3 })
  return {
    net, optimizer, schedule: stepDecay(0.05, 0.5, 3), classes: 3, smoothing: 0.1, backend,
    dataset: tinyDataset(n), plan: { batchSize, key, shuffle: true, prepare: compose(randomCrop(1), normalize(0.5, 0.5)) },
    epochs: 2, initial: { params, state, opt: optimizer.init(params), step: 0, key },
  }
}

test('batches are pulled: whatever the source, exactly --prefetch batches are read ahead of the steps, and none past the end', async t => {
  for (const prefetch of [0, 2]) {
    const o = await setup(24, 4)
    let maxAhead = 0
    const events = await lastValueFrom(train({ ...o, plan: { ...o.plan, prefetch } }).pipe(
      tap(e => {
        if (e.type === 'step') maxAhead = Math.max(maxAhead, o.dataset.reads - e.step * 4)
      }),
      toArray(),
    ))
    t.is(events.filter(e => e.type === 'step').length, 12)
    t.is(events.filter(e => e.type === 'epoch').length, 2)
    t.is(maxAhead, prefetch * 4, `prefetch ${prefetch}: read ${maxAhead} examples ahead of the model`)
    t.is(o.dataset.reads, 48)
  }
})

const paramsOf = (s: TrainState) => flatten(s.params).map(([k, v]) => [k, Array.from(v.data)] as const)
const endOf = (events: TrainEvent[]) => events.find((e): e is Extract<TrainEvent, { type: 'end' }> => e.type === 'end')!

const epochsOf = (events: TrainEvent[]) => events.flatMap(e => (e.type === 'epoch' ? [[e.epoch, e.loss, e.top1]] : []))

test('stop after k steps, checkpoint, resume: bit for bit the uninterrupted run (dropout, augmentation, batch norm, momentum), and the resumed epoch\'s mean loss is over all its steps', async t => {
  const straightEvents = await lastValueFrom(train(await setup()).pipe(toArray()))
  const straight = endOf(straightEvents)
  t.is(straight.reason, 'finished')
  t.is(straight.snapshot.step, 12)

  const o = await setup()
  const stop = new Subject<void>()
  const first = endOf(await lastValueFrom(train({ ...o, stop }).pipe(tap(e => e.type === 'step' && e.step === 5 && stop.next()), toArray())))
  t.is(first.reason, 'stopped')
  t.is(first.snapshot.step, 5, 'the step in flight finishes; none starts after stop')
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-ckpt-'))
  const file = path.join(dir, 'last.ckpt.safetensors')
  t.true(isRight(await writeCheckpoint(file, first.snapshot, { note: 'test' })()))
  t.deepEqual(readdirSync(dir), ['last.ckpt.safetensors'], 'no temporary file left behind')
  const back = await readCheckpoint(file)()
  if (!isRight(back)) return t.fail(back.left.message)
  t.deepEqual(back.right.config, { note: 'test' })
  t.is(back.right.snapshot.epochSoFar?.steps, 5, "the checkpoint holds the first epoch's 5 steps' sums")
  const resumedEvents = await lastValueFrom(train({ ...(await setup()), initial: back.right.snapshot }).pipe(toArray()))
  const resumed = endOf(resumedEvents)
  t.is(resumed.snapshot.step, 12)
  t.deepEqual(epochsOf(resumedEvents), epochsOf(straightEvents), "epoch 0's mean over its 6 steps, 5 of them before the stop")
  t.deepEqual(paramsOf(resumed.snapshot), paramsOf(straight.snapshot))
  t.deepEqual(flatten(resumed.snapshot.opt).map(([k, v]) => [k, Array.from(v.data)]), flatten(straight.snapshot.opt).map(([k, v]) => [k, Array.from(v.data)]))
  t.deepEqual(flatten(resumed.snapshot.state).map(([k, v]) => [k, Array.from(v.data)]), flatten(straight.snapshot.state).map(([k, v]) => [k, Array.from(v.data)]))
})

test('a truncated or foreign checkpoint is refused with the file named', async t => {
  const o = await setup()
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-ckpt-'))
  const file = path.join(dir, 'c.safetensors')
  await writeCheckpoint(file, o.initial, {})()
  const bytes = readFileSync(file)
  writeFileSync(file, bytes.subarray(0, bytes.length - 10))
  const r = await readCheckpoint(file)()
  t.true(!isRight(r) && r.left.message.includes(file))
  const { writeSafetensors } = await import('../../lib/io')
  await writeSafetensors(file, [['w', Tensor.zeros([2])]])()
  const foreign = await readCheckpoint(file)()
  t.true(!isRight(foreign) && /not an rxception checkpoint/.test(foreign.left.message))
})

test('a non-finite loss stops the step naming the step and where: a parameter, the input, or the first layer output', async t => {
  const o = await setup()
  const step = trainStep(o)
  const bad = flatten(o.initial.params).map(([k, v]) => [k, k === 'conv.weight' ? Tensor.fromArray(v.shape, v.data.map((x, i) => (i === 3 ? NaN : x))) : v] as const)
  const { unflatten } = await import('../../lib/nn')
  const batch = { x: Tensor.zeros([4, 6, 6, 1]).reshape([4, 6, 6, 1]), labels: [0, 1, 2, 0], indices: [0, 1, 2, 3], valid: 4 }
  const e = await t.throwsAsync(step({ ...o.initial, params: unflatten(bad), step: 17 }, batch), { instanceOf: NonFiniteError })
  t.regex(e!.message, /^step 17: .*'conv\.weight'/)
  const nanInput = { ...batch, x: Tensor.fill([4, 6, 6, 1], NaN) }
  const e2 = await t.throwsAsync(step(o.initial, nanInput), { instanceOf: NonFiniteError })
  t.regex(e2!.message, /non-finite pixels/)
  // finite but huge weights: the convolution's output overflows float32, batch norm turns it to NaN
  const huge = unflatten(flatten(o.initial.params).map(([k, v]) => [k, k === 'conv.weight' ? Tensor.fill(v.shape, 3e38) : v] as const))
  const e3 = await t.throwsAsync(step({ ...o.initial, params: huge }, { ...batch, x: Tensor.fill([4, 6, 6, 1], 1) }), { instanceOf: NonFiniteError })
  t.regex(e3!.message, /the first non-finite value is the output of layer 'conv'/)
})

test('unsubscribing stops the loop: no step starts and no batch is read afterwards', async t => {
  const o = await setup(400, 4)
  let steps = 0
  await new Promise<void>(resolve => {
    const sub = train(o).subscribe(e => {
      if (e.type === 'step' && ++steps === 2) {
        sub.unsubscribe()
        resolve()
      }
    })
  })
  const reads = o.dataset.reads
  await new Promise(r => setTimeout(r, 300))
  t.is(o.dataset.reads, reads)
  t.true(reads <= (3 + 2) * 4, `read ${reads}: the steps taken, the one in flight and two prefetched`)
})

test('a writer killed mid-checkpoint leaves the previous checkpoint whole and readable', async t => {
  const o = await setup()
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-kill-'))
  const file = path.join(dir, 'last.ckpt.safetensors')
  t.true(isRight(await writeCheckpoint(file, { ...o.initial, step: 7 }, { run: 'first' })()))
  const before = readFileSync(file)
  // a child process rewrites the same checkpoint with 256 MB of parameters, over and over
  const lib = path.join(__dirname, '..', '..', 'lib', 'train', 'checkpoint.ts')
  const code = `const { writeCheckpoint } = require(${JSON.stringify(lib)}); const { Tensor } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'tensor'))});
const big = { params: { w: Tensor.fill([64, 1024, 1024], 1) }, state: {}, opt: {}, step: 8, key: [1, 2] };
(async () => { for (;;) await writeCheckpoint(${JSON.stringify(file)}, big, { run: 'second' })() })()`
  const { spawn } = await import('child_process')
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: 'ignore' })
  await new Promise<void>(resolve => {
    const poll = setInterval(() => {
      if (readdirSync(dir).some(f => f.endsWith('.tmp'))) {
        clearInterval(poll)
        resolve()
      }
    }, 5)
  })
  child.kill('SIGKILL')
  await new Promise(r => child.on('close', r))
  const r = await readCheckpoint(file)()
  if (!isRight(r)) return t.fail(r.left.message)
  // either the old file or a complete new one: never a torn one
  t.true(r.right.snapshot.step === 7 ? readFileSync(file).equals(before) : r.right.snapshot.step === 8)
})
