import { Tensor } from '../tensor'
import { arrayDataset, Dataset, subset } from './example'

const MAGIC = 0x31445852 // 'RXD1' little-endian

/**
 * In-memory digits (or any small grey images with ≤ 256 distinct pixel values, as the `mnist`
 * package's are) as one compact file for a browser to fetch: 10,000 MNIST digits are 7.9 MB here
 * against 21 MB of the package's JSON, and unpack to exactly the float32 values Node's `mnist()`
 * holds (a table of the distinct values, one byte per pixel), so a page trains on the same data.
 *
 * Layout: 'RXD1', then uint32 count, height, width, classes, distinct values; float32 table;
 * uint8 labels; uint8 codes (count × height × width).
 *
 * @example
 * const bytes = packDigits(mnistAll())                       // Node, at build time
 * const { train, heldOut } = digitSplit(unpackDigits(bytes)) // the page, after fetch
 */
export const packDigits = (d: Dataset): Uint8Array => {
  const first = exampleOf(d, 0).image
  const [h, w] = first.shape as [number, number, number]
  const table = new Map<number, number>()
  const codes = new Uint8Array(d.size * h * w)
  const labels = new Uint8Array(d.size)
  for (let i = 0; i < d.size; i++) {
    const e = exampleOf(d, i)
    if (e.image.size !== h * w) throw new Error(`${d.name}: example ${i} is ${e.image.shape.join('×')}, expected ${h}×${w}×1 like the first`)
    labels[i] = e.label
    for (let p = 0; p < h * w; p++) {
      const v = e.image.data[p]!
      let code = table.get(v)
      if (code === undefined) {
        if (table.size === 256) throw new Error(`${d.name}: more than 256 distinct pixel values; not a digits pack`)
        table.set(v, (code = table.size))
      }
      codes[i * h * w + p] = code
    }
  }
  const head = new Uint32Array([MAGIC, d.size, h, w, d.classes, table.size])
  const values = Float32Array.from(table.keys())
  const out = new Uint8Array(head.byteLength + values.byteLength + labels.byteLength + codes.byteLength)
  let at = 0
  for (const part of [head, values, labels, codes]) {
    out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at)
    at += part.byteLength
  }
  return out
}

const exampleOf = (d: Dataset, i: number) => {
  const r = d.record(i)
  if (r.kind !== 'example') throw new Error(`${d.name}: record ${i} is not in memory; only in-memory digits are packed`)
  return r.example
}

/**
 * The dataset a {@link packDigits} file holds (`name` names it in errors and events).
 *
 * @example
 * const all = unpackDigits(new Uint8Array(await (await fetch('digits.bin')).arrayBuffer()))
 */
export const unpackDigits = (bytes: Uint8Array, name = 'mnist'): Dataset => {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a digits pack (${why})`)
  }
  if (bytes.byteLength < 24) fail(`${bytes.byteLength} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const [magic, n, h, w, classes, distinct] = [0, 1, 2, 3, 4, 5].map(k => view.getUint32(4 * k, true)) as [number, number, number, number, number, number]
  if (magic !== MAGIC) fail('no RXD1 mark')
  const expected = 24 + 4 * distinct + n + n * h * w
  if (bytes.byteLength !== expected) fail(`${bytes.byteLength} bytes, the header promises ${expected}`)
  const table = new Float32Array(distinct)
  for (let k = 0; k < distinct; k++) table[k] = view.getFloat32(24 + 4 * k, true)
  const labels = bytes.subarray(24 + 4 * distinct, 24 + 4 * distinct + n)
  const codes = bytes.subarray(24 + 4 * distinct + n)
  const examples = Array.from({ length: n }, (_, i) => {
    const image = new Float32Array(h * w)
    for (let p = 0; p < h * w; p++) image[p] = table[codes[i * h * w + p]!]!
    return { image: Tensor.adopt([h, w, 1], image), label: labels[i]! }
  })
  return arrayDataset(name, examples, classes)
}

/**
 * The project's fixed split of the digits: every tenth (index ≡ 9 mod 10) held out, the rest to
 * train (for the bundled MNIST: 9,000 and 1,000, each class in proportion).
 *
 * @example
 * const { train, heldOut } = digitSplit(all)
 */
export const digitSplit = (all: Dataset, name = 'mnist'): { train: Dataset; heldOut: Dataset } => {
  const idx = Array.from({ length: all.size }, (_, i) => i)
  return {
    train: subset(all, `${name} (train)`, idx.filter(i => i % 10 !== 9)),
    heldOut: subset(all, `${name} (held-out)`, idx.filter(i => i % 10 === 9)),
  }
}
