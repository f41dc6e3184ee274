import test from 'ava'
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { gzipSync } from 'zlib'
import { PNG } from 'pngjs'
import { Readable } from 'stream'
import { decodeCounter, exampleAt, mnist, openSource, permutation, prepareBatch, prepareRecord, resize, toChannels } from '../../lib/data'
import { Tensor, keyFromSeed } from '../../lib/tensor'

const tmp = () => mkdtempSync(path.join(tmpdir(), 'rxc-data-'))

const png = (w: number, h: number, v: number): Buffer => {
  const p = new PNG({ width: w, height: h })
  p.data.fill(v)
  for (let i = 3; i < p.data.length; i += 4) p.data[i] = 255
  return PNG.sync.write(p)
}

test('mnist: 9,000 training and 1,000 held-out digits, disjoint, every class in both', t => {
  const { train, heldOut } = mnist()
  t.is(train.size, 9000)
  t.is(heldOut.size, 1000)
  const seen = new Set(Array.from({ length: train.size }, (_, i) => exampleAt(train, i)))
  t.false(Array.from({ length: heldOut.size }, (_, i) => exampleAt(heldOut, i)).some(e => seen.has(e)))
  t.deepEqual(new Set(Array.from({ length: heldOut.size }, (_, i) => heldOut.label(i))).size, 10)
  t.deepEqual(exampleAt(train, 0).image.shape, [28, 28, 1])
  // the package's JSON files are parsed, not required: require's cache would hold their 60 MiB of arrays for the whole run
  t.false(Object.keys(require.cache).some(k => /mnist[\\/]src[\\/]digits/.test(k)), 'no digits file left in require.cache')
})

test.serial('folder: lists without decoding; classes are the sorted folder names; a corrupt image fails when read, with its path, or is replaced and reported', async t => {
  const dir = tmp()
  for (const c of ['b', 'a']) mkdirSync(path.join(dir, c))
  writeFileSync(path.join(dir, 'a', '1.png'), png(5, 4, 255))
  writeFileSync(path.join(dir, 'b', '1.png'), png(5, 4, 0))
  writeFileSync(path.join(dir, 'b', '2.png'), png(5, 4, 0).subarray(0, 30))
  writeFileSync(path.join(dir, 'b', 'notes.txt'), 'not an image')
  const before = decodeCounter.images
  const { dataset } = await openSource(`folder:${dir}`, { onBad: 'fail' })
  t.is(decodeCounter.images, before, 'opening decodes nothing')
  t.deepEqual(dataset.classNames, ['a', 'b'])
  t.is(dataset.size, 3)
  t.deepEqual([0, 1, 2].map(i => dataset.label(i)), [0, 1, 1])
  const e = await prepareRecord(dataset.record(0), { prepare: x => x }, [0, 0])
  t.is(e.image.data[0], 1)
  t.deepEqual(e.image.shape, [4, 5, 3])
  const plan = { batchSize: 3, key: keyFromSeed(1), shuffle: false, prepare: resize(4) }
  await t.throwsAsync(prepareBatch(dataset, plan, [0, 1, 2], [0, 0], 0), { message: new RegExp(`${path.join(dir, 'b', '2.png')}: .*--on-bad-record skip`) })
  const skipped: string[] = []
  const b = await prepareBatch(dataset, { ...plan, onBad: 'skip', onSkip: s => skipped.push(s.where) }, [0, 1, 2], [0, 0], 0)
  t.deepEqual(skipped.slice(0, 1), [path.join(dir, 'b', '2.png')])
  t.is(b.labels.length, 3, 'the batch is still whole')
  t.not(b.indices[2], 2, 'the bad record was replaced')
})

test('idx: gzipped or plain files decode; a truncated one is refused with the byte counts', async t => {
  const dir = tmp()
  const n = 3
  const images = Buffer.alloc(16 + n * 4)
  images.writeUInt32BE(0x803, 0); images.writeUInt32BE(n, 4); images.writeUInt32BE(2, 8); images.writeUInt32BE(2, 12)
  for (let i = 0; i < n * 4; i++) images[16 + i] = i * 20
  const labels = Buffer.from([0, 0, 8, 1, 0, 0, 0, n, 7, 8, 9])
  writeFileSync(path.join(dir, 'i.gz'), gzipSync(images))
  writeFileSync(path.join(dir, 'l'), labels)
  const { dataset } = await openSource(`idx:${path.join(dir, 'i.gz')},${path.join(dir, 'l')}`, { onBad: 'fail' })
  t.is(dataset.size, 3)
  t.is(dataset.label(2), 9)
  t.true(Math.abs(exampleAt(dataset, 1).image.data[0]! - 80 / 255) < 1e-6)
  writeFileSync(path.join(dir, 'i'), images.subarray(0, 20))
  await t.throwsAsync(openSource(`idx:${path.join(dir, 'i')},${path.join(dir, 'l')}`, { onBad: 'fail' }), { message: /truncated/ })
})

test('ndjson: pixel and image records; a bad line is named by its number; standard input is read line by line', async t => {
  const dir = tmp()
  writeFileSync(path.join(dir, 'x.png'), png(2, 2, 255))
  const file = path.join(dir, 'd.ndjson')
  writeFileSync(file, ['{"pixels": [0, 255, 0, 255], "shape": [2, 2, 1], "label": 1}', '{"image": "x.png", "label": 0}', '{"pixels": [1], "shape": [2, 2, 1], "label": 1}', 'not json'].join('\n'))
  await t.throwsAsync(openSource(`ndjson:${file}`, { onBad: 'fail' }), { message: new RegExp(`${file}:3: shape`) })
  const { dataset, skipped } = await openSource(`ndjson:${file}`, { onBad: 'skip' })
  t.is(dataset.size, 2)
  t.deepEqual(Array.from(exampleAt(dataset, 0).image.data), [0, 1, 0, 1])
  t.deepEqual(dataset.record(1), { kind: 'file', path: path.join(dir, 'x.png'), label: 0 })
  t.deepEqual(skipped.map(s => s.where), [`${file}:3`, `${file}:4`])
  const stdin = await openSource('ndjson:-', { onBad: 'fail', stdin: () => Readable.from(['{"pixels": [0, 0, 0, 0], "shape": [2, 2, 1], "label": 2}\n']) })
  t.is(stdin.dataset.label(0), 2)
  await t.throwsAsync(openSource('csv:x', { onBad: 'fail' }), { message: /expected mnist, digits-hard, folder:DIR/ })
})

test('operators: luminance, bilinear resize, keyed permutation', t => {
  const rgb = { image: Tensor.fromArray([1, 1, 3], [1, 0, 0]), label: 0 }
  t.true(Math.abs(toChannels(1)(rgb, [0, 0]).image.data[0]! - 0.299) < 1e-6)
  const r = resize(4)({ image: Tensor.fromArray([2, 2, 1], [0, 1, 0, 1]), label: 0 }, [0, 0])
  t.deepEqual(r.image.shape, [4, 4, 1])
  t.deepEqual(Array.from(r.image.data.slice(0, 4)), [0, 0.25, 0.75, 1])
  const p = permutation(keyFromSeed(1), 50)
  t.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i))
  t.deepEqual(p, permutation(keyFromSeed(1), 50))
  t.notDeepEqual(p, permutation(keyFromSeed(2), 50))
})
