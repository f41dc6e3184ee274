import { createReadStream, existsSync, promises as fs } from 'fs'
import * as path from 'path'
import braces from 'braces'
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/Either'
import { extract } from 'tar-stream'
import { Key } from '../tensor'
import { permutation } from './batches'
import { DataRecord } from './example'
import { DataError } from './errors'
import { MAX_IMAGE_BYTES } from './image'
import { Shard } from './shard'
import { StreamSource, epochKey, shuffled, withTimeout } from './stream-source'

/**
 * WebDataset shards (`wds:PATTERN`, brace-expanded as `train-{000000..000146}.tar`): tar files
 * whose consecutive members sharing a key (the name up to the first dot of its last part) make one
 * sample; the image is its .jpg, .jpeg, .png or .webp member, the label its .cls member (a decimal
 * integer). Shards are read sequentially with tar-stream, one at a time, and only the sample
 * bytes in the shuffle buffer are held: memory is --shuffle-buffer samples, whatever the data.
 *
 * The epoch's size comes from timm's `_info.json` beside the shards (`shard_lengths` with
 * `filenames`, at its top level or in one of its `splits`), else --train-num-samples, else one pass
 * counting the members (logged). Sharded (--shard I/N, RANK/WORLD_SIZE), a reader takes whole
 * shards: shard j of the sorted list goes to reader j mod N.
 *
 * @example
 * const source = await openWds('data/train-{000000..000009}.tar', { key, shuffleBuffer: 1000, onBad: 'fail', dataTimeout: 300, log: console.error })
 */
export interface WdsOptions {
  readonly key: Key
  readonly shuffleBuffer: number
  readonly onBad: 'fail' | 'skip'
  readonly dataTimeout: number
  readonly shard?: Shard | null
  readonly trainNumSamples?: number | null
  readonly numClasses?: number | null
  readonly log?: (line: string) => void
  /** Told of each sample left out (onBad 'skip'). */
  readonly onSkip?: (where: string, reason: string) => void
}

const IMAGE = /^(jpg|jpeg|png|webp)$/i

interface Sample {
  readonly key: string
  readonly members: Map<string, Buffer>
  readonly where: string
}

/** The samples of one shard in order; a truncated or corrupt shard fails naming it and the last member read. */
async function* samplesOf(file: string): AsyncGenerator<Sample> {
  const ex = extract()
  const input = createReadStream(file)
  input.on('error', e => ex.destroy(e))
  input.pipe(ex)
  let current: { key: string; members: Map<string, Buffer> } | undefined
  let last = '(the first member)'
  try {
    for await (const entry of ex) {
      const { name, type, size } = entry.header
      if (type !== 'file' || (size ?? 0) > MAX_IMAGE_BYTES) {
        entry.resume()
        if (type === 'file') throw new Error(`member ${name}: ${size} bytes is over the ${MAX_IMAGE_BYTES}-byte limit`)
        continue
      }
      const chunks: Buffer[] = []
      for await (const c of entry) chunks.push(c as Buffer)
      last = name
      const base = path.posix.basename(name)
      const dot = base.indexOf('.')
      const key = dot < 0 ? name : name.slice(0, name.length - base.length + dot)
      const ext = dot < 0 ? '' : base.slice(dot + 1).toLowerCase()
      if (current && current.key !== key) {
        yield { ...current, where: `${file}:${current.key}` }
        current = undefined
      }
      current ??= { key, members: new Map() }
      current.members.set(ext, Buffer.concat(chunks))
    }
  } catch (e) {
    throw new DataError(`${file}: truncated or corrupt tar after ${last}: ${(e as Error).message}`)
  } finally {
    input.destroy()
  }
  if (current) yield { ...current, where: `${file}:${current.key}` }
}

/** A sample as a record: its image bytes and .cls label, or the reason it has none. */
const recordOf = (s: Sample): Exclude<DataRecord, { kind: 'example' }> => {
  const image = [...s.members.keys()].find(e => IMAGE.test(e))
  if (!image) throw new Error(`no .jpg, .jpeg, .png or .webp member (members: ${[...s.members.keys()].map(e => `.${e}`).join(', ')})`)
  const cls = s.members.get('cls')
  if (!cls) throw new Error('no .cls member (the label)')
  const text = cls.toString('utf8').trim()
  if (!/^\d+$/.test(text)) throw new Error(`.cls is '${text.slice(0, 20)}', expected a non-negative integer`)
  const bytes = s.members.get(image)!
  return { kind: 'bytes', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), where: `${s.where}.${image}`, label: Number(text) }
}

const ShardLengths = t.type({ filenames: t.array(t.string), shard_lengths: t.array(t.number) })
const Info = t.partial({ filenames: t.array(t.string), shard_lengths: t.array(t.number), num_classes: t.number, splits: t.record(t.string, t.partial({ filenames: t.array(t.string), shard_lengths: t.array(t.number), num_classes: t.number })) })

/** Lengths by shard base name and the class count from timm's _info.json, where there is one. */
const readInfo = async (dir: string): Promise<{ lengths: Map<string, number>; classes?: number; file: string } | undefined> => {
  const file = ['_info.json', 'info.json'].map(f => path.join(dir, f)).find(f => existsSync(f))
  if (!file) return undefined
  let json: unknown
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'))
  } catch (e) {
    throw new DataError(`${file}: not JSON: ${(e as Error).message}`)
  }
  const r = Info.decode(json)
  if (isLeft(r)) throw new DataError(`${file}: expected timm's _info.json (filenames and shard_lengths, at the top or in splits)`)
  const lengths = new Map<string, number>()
  let classes = r.right.num_classes
  for (const part of [r.right, ...Object.values(r.right.splits ?? {})]) {
    if (!ShardLengths.is(part)) continue
    part.filenames.forEach((f, i) => lengths.set(path.basename(f), part.shard_lengths[i]!))
    classes ??= (part as { num_classes?: number }).num_classes
  }
  return { lengths, ...(classes !== undefined ? { classes } : {}), file }
}

/**
 * Opens `wds:PATTERN`: expands and checks the shards (each must exist), finds the epoch size and
 * the classes, reads no image.
 *
 * @example
 * const s = await openWds('shards/train-{0..3}.tar', { key: keyFromSeed(1), shuffleBuffer: 100, onBad: 'fail', dataTimeout: 300 })
 */
export const openWds = async (pattern: string, o: WdsOptions): Promise<StreamSource> => {
  const all = braces.expand(pattern).flatMap(p => p.split(',')).filter(p => p !== '').sort()
  if (all.length === 0) throw new DataError(`wds:${pattern}: no shards (expected wds:DIR/train-{000000..000146}.tar)`)
  for (const f of all) {
    const st = await fs.stat(f).catch(() => undefined)
    if (!st?.isFile()) throw new DataError(`wds:${pattern}: shard ${f} is missing`)
  }
  const shards = o.shard ? all.filter((_, j) => j % o.shard!.count === o.shard!.index) : all
  if (shards.length === 0) throw new DataError(`wds:${pattern}: ${all.length} shards leave none to reader ${o.shard!.index} of ${o.shard!.count} (whole shards go to readers)`)
  const name = `wds:${pattern}${o.shard ? ` [shard ${o.shard.index}/${o.shard.count}]` : ''}`
  const info = await readInfo(path.dirname(all[0]!))
  let size: number | undefined
  let classes = o.numClasses ?? info?.classes ?? undefined
  if (o.trainNumSamples) size = Math.floor(o.trainNumSamples / (o.shard?.count ?? 1))
  else if (info && shards.every(f => info.lengths.has(path.basename(f)))) size = shards.reduce((n, f) => n + info.lengths.get(path.basename(f))!, 0)
  if (size === undefined || classes === undefined) {
    o.log?.(`${name}: counting samples and labels (no _info.json with shard_lengths and num_classes, no --train-num-samples / --num-classes): one pass over ${shards.length} shard${shards.length > 1 ? 's' : ''}`)
    let n = 0
    let top = -1
    for (const f of shards) {
      for await (const s of samplesOf(f)) {
        n++
        const cls = s.members.get('cls')?.toString('utf8').trim()
        if (cls && /^\d+$/.test(cls)) top = Math.max(top, Number(cls))
      }
    }
    size ??= n
    classes ??= top + 1
  }
  if (size === 0) throw new DataError(`${name}: no samples`)
  if (!classes) throw new DataError(`${name}: no .cls labels found; pass --num-classes`)
  return {
    name, size, classes, replayable: true,
    records: (epoch, skip) => epochRecords(shards, size!, epoch, skip, o, name),
  }
}

/** Epoch `epoch` of the shards from position `skip`: keyed shard order, keyed shuffle buffer, `size` records (passes repeat when the shards hold fewer). Skipped records are read, not decoded. */
async function* epochRecords(shards: readonly string[], size: number, epoch: number, skip: number, o: WdsOptions, name: string): AsyncGenerator<Exclude<DataRecord, { kind: 'example' }>> {
  // whole passes over the shards until they hold `size` samples, then the buffer drains: an epoch
  // of one pass holds each sample once
  async function* passes(): AsyncGenerator<Exclude<DataRecord, { kind: 'example' }>> {
    let fed = 0
    for (let pass = 0; fed < size; pass++) {
      let any = false
      for (const i of permutation(epochKey(o.key, epoch * 1024 + pass, 1), shards.length)) {
        for await (const s of withTimeout(samplesOf(shards[i]!), o.dataTimeout, shards[i]!)) {
          let r
          try {
            r = recordOf(s)
          } catch (e) {
            if (o.onBad !== 'skip') throw new DataError(`${s.where}: ${(e as Error).message} (--on-bad-record skip leaves such samples out)`)
            o.onSkip?.(s.where, (e as Error).message)
            continue
          }
          any = true
          fed++
          yield r
        }
      }
      if (!any) throw new DataError(`${name}: a pass over the shards gave no usable sample`)
    }
  }
  let n = 0
  for await (const r of shuffled(passes(), epochKey(o.key, epoch, 2), o.shuffleBuffer)) {
    if (n >= size) return
    if (n++ >= skip) yield r
  }
}
