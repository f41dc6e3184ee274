import test from 'ava'
import { spawnSync } from 'child_process'
import { readFileSync, writeFileSync } from 'fs'
import * as path from 'path'
import { Subject, lastValueFrom, tap, toArray } from 'rxjs'
import { DataRecord, Example, ImageTransform, StreamSource, dataWorkers, decodeCounter, openWds, prepareRecord } from '../../lib/data'
import { flatten } from '../../lib/nn'
import { rmsproptf } from '../../lib/optim'
import { constant } from '../../lib/schedule'
import { keyFromSeed } from '../../lib/tensor'
import { TrainEvent, TrainState, train } from '../../lib/train'
import { backendFor } from '../helpers/backends'
import { PYTHON, shards } from '../helpers/wds'
import { tinyNet } from '../helpers/tiny'

const options = { key: keyFromSeed(5), shuffleBuffer: 7, onBad: 'fail' as const, dataTimeout: 60 }

const all = async (s: StreamSource, epoch = 0, skip = 0) => {
  const out: DataRecord[] = []
  for await (const r of s.records(epoch, skip)) out.push(r)
  return out
}
const keyOf = (r: DataRecord) => (r.kind === 'bytes' ? path.basename(r.where) : '?')

test.serial("wds: brace-expanded shards from Python's tarfile; samples grouped by key, .cls labels; epochs keyed; a position is replayed exactly; nothing decoded", async t => {
  const { pattern } = await shards(3, 8, true)
  const before = decodeCounter.images
  const s = await openWds(pattern, options)
  t.is(s.size, 24, "from _info.json's shard_lengths")
  t.is(s.classes, 3)
  const e0 = await all(s, 0)
  t.is(e0.length, 24)
  t.is(new Set(e0.map(keyOf)).size, 24, 'each sample once')
  t.true(e0.every(r => r.kind === 'bytes' && Number(/sample(\d+)/.exec(r.where)![1]) % 3 === r.label))
  t.deepEqual((await all(s, 0)).map(keyOf), e0.map(keyOf), 'the same epoch, the same order')
  t.notDeepEqual((await all(s, 1)).map(keyOf), e0.map(keyOf), 'another epoch, another order')
  t.deepEqual((await all(s, 0, 10)).map(keyOf), e0.slice(10).map(keyOf), 'from position 10: the rest of the same sequence')
  t.is(decodeCounter.images, before, 'reading shards decodes no image')
  const counted = await openWds(pattern.replace('{000000..000002}', '{000000..000001}'), { ...options, log: () => undefined })
  t.is(counted.size, 16, 'two of the three shards')
  const half = await openWds(pattern, { ...options, shard: { index: 1, count: 2 } })
  t.is(half.size, 8, 'reader 1 of 2 takes shard 1 whole')
  t.true((await all(half)).every(r => /train-000001\.tar/.test((r as { where: string }).where)))
})

test('wds: a missing shard, a truncated shard and a sample without a label fail naming them; skip leaves the sample out and says so', async t => {
  const { dir, pattern } = await shards(2, 4)
  await t.throwsAsync(openWds(path.join(dir, 'train-{000000..000002}.tar'), options), { message: /shard .*train-000002\.tar is missing/ })
  const file = path.join(dir, 'train-000001.tar')
  const bytes = readFileSync(file)
  writeFileSync(file, bytes.subarray(0, 1500))
  const s = await openWds(pattern, { ...options, trainNumSamples: 8, numClasses: 3 })
  await t.throwsAsync(all(s), { message: /train-000001\.tar: truncated or corrupt tar after/ })
  // a shard whose sample has no .cls
  writeFileSync(file, bytes)
  const py = `import tarfile,io\nt=tarfile.open(${JSON.stringify(path.join(dir, 'train-000000.tar'))},'a')\ni=tarfile.TarInfo('nolabel.png');d=open(${JSON.stringify(path.join(dir, 'png', '0.png'))},'rb').read();i.size=len(d);t.addfile(i,io.BytesIO(d));t.close()`
  t.is(spawnSync(PYTHON, ['-c', py]).status, 0)
  const strict = await openWds(pattern, { ...options, trainNumSamples: 8, numClasses: 3 })
  await t.throwsAsync(all(strict), { message: /train-000000\.tar:nolabel: no \.cls member/ })
  const skipped: string[] = []
  const lenient = await openWds(pattern, { ...options, trainNumSamples: 8, numClasses: 3, onBad: 'skip', onSkip: w => skipped.push(w) })
  t.is((await all(lenient)).length, 8)
  t.true(skipped.some(w => /nolabel/.test(w)))
})

const transform: ImageTransform = { size: 12, channels: 1, interpolation: 'bilinear', crop: { kind: 'random-resized', scale: [0.3, 1], ratio: [3 / 4, 4 / 3] }, hflip: 0.5, mean: [0.5], std: [0.5] }

test('the data workers give the bytes this thread gives (same decoder, same transform, same key)', async t => {
  const { pattern } = await shards(1, 6, true)
  const s = await openWds(pattern, options)
  const records = (await all(s)).slice(0, 6)
  const pool = dataWorkers(2)
  try {
    for (const [k, r] of records.entries()) {
      const here = await prepareRecord(r, { prepare: e => e, image: transform }, [k, 1])
      const there = await pool.prepare(r as Exclude<DataRecord, { kind: 'example' }>, transform, [k, 1])
      t.deepEqual(Array.from(there), Array.from(here.image.data))
    }
  } finally {
    await pool.close()
  }
})

const endOf = (events: TrainEvent[]) => events.find((e): e is Extract<TrainEvent, { type: 'end' }> => e.type === 'end')!
const paramsOf = (s: TrainState) => flatten(s.params).map(([k, v]) => [k, Array.from(v.data)] as const)

test('training from wds shards: resumed mid-epoch, bit for bit the uninterrupted run (shard order, shuffle buffer, augmentation)', async t => {
  const { pattern } = await shards(3, 8, true)
  const backend = await backendFor('webasm')
  const setup = async () => {
    const net = tinyNet()
    const key = keyFromSeed(11)
    const { params, state } = net.init(key, [4, 12, 12, 1])
    const optimizer = rmsproptf()
    return {
      net, optimizer, schedule: constant(0.01), classes: 3, smoothing: 0, backend, epochs: 2,
      dataset: await openWds(pattern, options), plan: { batchSize: 4, key, shuffle: true, prepare: (e: Example) => e, image: transform },
      initial: { params, state, opt: optimizer.init(params), step: 0, key } as TrainState,
    }
  }
  const straight = endOf(await lastValueFrom(train(await setup()).pipe(toArray())))
  t.is(straight.snapshot.step, 12)
  const o = await setup()
  const stop = new Subject<void>()
  const first = endOf(await lastValueFrom(train({ ...o, stop }).pipe(tap(e => e.type === 'step' && e.step === 4 && stop.next()), toArray())))
  t.is(first.snapshot.step, 4, 'stopped in the middle of epoch 0 (6 steps an epoch)')
  const resumed = endOf(await lastValueFrom(train({ ...(await setup()), initial: first.snapshot }).pipe(toArray())))
  t.is(resumed.snapshot.step, 12)
  t.deepEqual(paramsOf(resumed.snapshot), paramsOf(straight.snapshot))
})

test('an endless ndjson stream trains with --train-num-samples: each epoch takes the next N records, and resuming mid-stream is refused', async t => {
  const backend = await backendFor('webasm')
  let produced = 0
  async function* endless() {
    for (let n = 1; ; n++) {
      produced++
      const label = n % 3
      yield { line: JSON.stringify({ pixels: Array.from({ length: 36 }, (_, i) => ((i * 7 + n) % 255)), shape: [6, 6, 1], label }), number: n }
    }
  }
  const { ndjsonStream, ndjsonRecord } = await import('../../lib/data')
  const source = ndjsonStream('stdin', endless(), { size: 16, classes: 3, dataTimeout: 60, onBad: 'fail' }, line => ndjsonRecord(line, '.'))
  const net = tinyNet()
  const key = keyFromSeed(2)
  const { params, state } = net.init(key, [4, 6, 6, 1])
  const optimizer = rmsproptf()
  const events = await lastValueFrom(train({
    net, optimizer, schedule: constant(0.01), classes: 3, smoothing: 0, backend, epochs: 3, dataset: source,
    plan: { batchSize: 4, key, shuffle: true, prepare: (e: Example) => e, prefetch: 1 }, initial: { params, state, opt: optimizer.init(params), step: 0, key },
  }).pipe(toArray()))
  t.is(events.filter(e => e.type === 'epoch').length, 3)
  t.is(endOf(events).reason, 'finished')
  t.true(produced >= 48 && produced <= 48 + 8, `read ${produced} lines for 3 epochs of 16`)
  t.throws(() => source.records(5, 4), { message: /cannot be read again/ })
})
