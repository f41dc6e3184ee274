import { isLeft } from 'fp-ts/Either'
import { Tensor } from '../tensor'
import { BYTES, DType, Metadata, TensorInfo, describeErrors } from './safetensors-header'

/**
 * Safetensors reader and writer. The reader is as strict as the reference implementation and checks
 * the whole header before reading any tensor: a regular file, the header length against the file,
 * no key twice, every entry's dtype and shape against its byte range, and the ranges tiling the data
 * section exactly (no overlap, no gap, no trailing bytes). So a truncated or malicious file is
 * refused with an error naming the file and the key or byte range, and nothing is allocated beyond
 * what the header honestly describes. F16 and BF16 are widened to float32; integer tensors
 * (PyTorch's `num_batches_tracked`) and zero-size tensors are listed in `skipped` and not loaded;
 * a loaded tensor holding NaN or an infinity is refused with its key.
 *
 * @example
 * const f = await readSafetensors('model.safetensors')() // Node, a file
 * if (isRight(f)) console.log([...f.right.tensors.keys()], f.right.metadata)
 * const g = await readSafetensorsFrom(blobSource(droppedFile), droppedFile.name) // a browser
 */
export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, Tensor>
  readonly metadata: Readonly<Record<string, string>>
  /** Keys not loaded (integer dtypes, zero-size tensors), with their dtype. */
  readonly skipped: ReadonlyMap<string, DType>
}

/**
 * A file refused: the message names the file and the key or byte range.
 *
 * @example
 * const r = await readSafetensors('x.safetensors')()
 * if (isLeft(r)) console.error(r.left.message) // names the file and the key
 */
export class SafetensorsError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`)
    this.name = 'SafetensorsError'
  }
}

/** Headers are JSON text; a real one for these networks is well under 1 MiB. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024

/** One tensor's header entry. */
export interface Entry {
  readonly name: string
  readonly info: TensorInfo
}

/** Validates a parsed header against the data section's size; returns the entries in file order. */
export const validateHeader = (file: string, header: unknown, dataBytes: number): { entries: Entry[]; metadata: Record<string, string> } => {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(file, 'header: expected a JSON object')
  const entries: Entry[] = []
  let metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      const m = Metadata.decode(value)
      if (isLeft(m)) throw new SafetensorsError(file, `__metadata__: ${describeErrors(m.left)}`)
      metadata = m.right
      continue
    }
    const decoded = TensorInfo.decode(value)
    if (isLeft(decoded)) throw new SafetensorsError(file, `tensor '${name}': ${describeErrors(decoded.left)}`)
    const info = decoded.right
    const [begin, end] = info.data_offsets
    const elements = info.shape.reduce((a, b) => a * b, 1)
    if (!Number.isSafeInteger(elements * BYTES[info.dtype])) throw new SafetensorsError(file, `tensor '${name}': shape [${info.shape}] declares an absurd size`)
    if (end < begin) throw new SafetensorsError(file, `tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`)
    if (end - begin !== elements * BYTES[info.dtype]) {
      throw new SafetensorsError(file, `tensor '${name}': ${info.dtype} [${info.shape}] needs ${elements * BYTES[info.dtype]} bytes, data_offsets give ${end - begin}`)
    }
    if (end > dataBytes) throw new SafetensorsError(file, `tensor '${name}': data_offsets [${begin}, ${end}] run past the data section (${dataBytes} bytes): truncated file?`)
    entries.push({ name, info })
  }
  // the ranges must tile [0, dataBytes): sorted by start (then end, so empty tensors come first)
  const sorted = [...entries].sort((a, b) => a.info.data_offsets[0] - b.info.data_offsets[0] || a.info.data_offsets[1] - b.info.data_offsets[1])
  let covered = 0
  let last = '(start of the data section)'
  for (const { name, info } of sorted) {
    const [begin, end] = info.data_offsets
    if (begin < covered) throw new SafetensorsError(file, `tensors '${last}' and '${name}' overlap (tensor '${name}' starts at byte ${begin}, before ${covered})`)
    if (begin > covered) throw new SafetensorsError(file, `bytes [${covered}, ${begin}) between '${last}' and '${name}' belong to no tensor`)
    covered = end
    last = name
  }
  if (covered !== dataBytes) throw new SafetensorsError(file, `bytes [${covered}, ${dataBytes}) after '${last}' belong to no tensor (trailing data)`)
  return { entries, metadata }
}

/**
 * The first key that occurs twice among a JSON object's top-level keys (JSON.parse keeps the last
 * silently; the reference implementation refuses the file). A scan of the text: strings are
 * skipped whole, depth is counted through objects and arrays.
 */
export const duplicateKey = (json: string): string | undefined => {
  const seen = new Set<string>()
  let depth = 0
  for (let i = 0; i < json.length; i++) {
    const ch = json[i]
    if (ch === '"') {
      let j = i + 1
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1
      const token = json.slice(i, j + 1)
      i = j
      if (depth !== 1) continue
      let k = i + 1
      while (k < json.length && /\s/.test(json[k]!)) k++
      if (json[k] !== ':') continue
      const key = JSON.parse(token) as string
      if (seen.has(key)) return key
      seen.add(key)
    } else if (ch === '{' || ch === '[') depth++
    else if (ch === '}' || ch === ']') depth--
  }
  return undefined
}

/** float16 / bfloat16 bit patterns to float32 (little-endian, as the format stores them). */
const widen = (dtype: 'F16' | 'BF16', bytes: Uint8Array, n: number): Float32Array => {
  const out = new Float32Array(n)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer)
    for (let i = 0; i < n; i++) u32[i] = view.getUint16(2 * i, true) << 16
    return out
  }
  for (let i = 0; i < n; i++) {
    const h = view.getUint16(2 * i, true)
    const sign = h & 0x8000 ? -1 : 1
    const exp = (h >> 10) & 0x1f
    const frac = h & 0x3ff
    out[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024) : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * 2 ** (exp - 15) * (1 + frac / 1024)
  }
  return out
}

const toFloat32 = (dtype: DType, bytes: Uint8Array, n: number): Float32Array | undefined => {
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(n)
      new Uint8Array(out.buffer).set(bytes)
      return out
    }
    case 'F64': {
      const f64 = new Float64Array(n)
      new Uint8Array(f64.buffer).set(bytes)
      return Float32Array.from(f64)
    }
    case 'F16':
    case 'BF16':
      return widen(dtype, bytes, n)
    default:
      return undefined
  }
}

/**
 * Random access to a safetensors file's bytes: a Node file handle, a browser `Blob` (a dropped or
 * fetched file: only the header and one tensor at a time are read into memory), or bytes in memory.
 *
 * @example
 * const source: ByteSource = bytesSource(new Uint8Array(await response.arrayBuffer()))
 */
export interface ByteSource {
  readonly size: number
  /** `length` bytes from `offset` (fewer only where the source ended). */
  read(offset: number, length: number): Promise<Uint8Array>
}

/**
 * Bytes in memory as a source (no copy).
 *
 * @example
 * await readSafetensorsFrom(bytesSource(bytes), 'model.safetensors')
 */
export const bytesSource = (bytes: Uint8Array | ArrayBuffer): ByteSource => {
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return { size: all.byteLength, read: async (offset, length) => all.subarray(offset, offset + length) }
}

/**
 * A `Blob` (a browser `File`) as a source: each read is a slice, so a 200 MB weights file is never
 * whole in memory.
 *
 * @example
 * await readSafetensorsFrom(blobSource(input.files[0]), input.files[0].name)
 */
export const blobSource = (blob: Blob): ByteSource => ({
  size: blob.size,
  read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
})

// ignoreBOM: a byte-order mark stays in the text, so JSON.parse refuses it as the reference does
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Reads safetensors from any {@link ByteSource}, checking the whole header first (see
 * {@link SafetensorsFile}); `name` is what errors call it. Throws {@link SafetensorsError}.
 *
 * @example
 * const { tensors } = await readSafetensorsFrom(blobSource(file), file.name)
 */
export const readSafetensorsFrom = async (source: ByteSource, name: string): Promise<SafetensorsFile> => {
  const { size } = source
  if (size < 8) throw new SafetensorsError(name, `${size} bytes is too short for a safetensors file (8-byte header length first)`)
  const exactly = async (offset: number, length: number, what: string): Promise<Uint8Array> => {
    const bytes = await source.read(offset, length)
    if (bytes.byteLength !== length) throw new SafetensorsError(name, `${what}: the file ended while reading it (changed while being read?)`)
    return bytes
  }
  const lengthBytes = await exactly(0, 8, 'header length')
  const headerLength = Number(new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true))
  if (headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(name, `header length ${headerLength} exceeds the file (${size} bytes) or the ${MAX_HEADER_BYTES}-byte limit`)
  }
  let text: string
  try {
    text = utf8.decode(await exactly(8, headerLength, 'header'))
  } catch (e) {
    if (e instanceof SafetensorsError) throw e
    throw new SafetensorsError(name, 'header is not valid UTF-8')
  }
  let header: unknown
  try {
    header = JSON.parse(text)
  } catch (e) {
    throw new SafetensorsError(name, `header is not valid JSON: ${(e as Error).message}`)
  }
  const dup = duplicateKey(text)
  if (dup !== undefined) throw new SafetensorsError(name, `header: key '${dup}' appears twice`)
  const dataStart = 8 + headerLength
  const { entries, metadata } = validateHeader(name, header, size - dataStart)
  const tensors = new Map<string, Tensor>()
  const skipped = new Map<string, DType>()
  for (const { name: key, info } of entries) {
    const [begin, end] = info.data_offsets
    const n = info.shape.reduce((a, b) => a * b, 1)
    if (!['F32', 'F64', 'F16', 'BF16'].includes(info.dtype) || n === 0) {
      skipped.set(key, info.dtype)
      continue
    }
    const bytes = await exactly(dataStart + begin, end - begin, `tensor '${key}'`)
    const values = toFloat32(info.dtype, bytes, n)!
    const bad = values.findIndex(v => !Number.isFinite(v))
    if (bad >= 0) throw new SafetensorsError(name, `tensor '${key}': element ${bad} is ${values[bad]}; weights must be finite`)
    tensors.set(key, Tensor.adopt(info.shape.length ? info.shape : [1], values))
  }
  return { tensors, metadata, skipped }
}

/**
 * Float32 tensors in the given order as a safetensors file's bytes, in pieces (the 8-byte length,
 * the header, then each tensor's data, viewed without copying); a browser makes a `Blob` of them.
 *
 * @example
 * const blob = new Blob(encodeSafetensors([['w', Tensor.ones([2, 2])]], { format: 'pt' }, 'model.safetensors'))
 */
export const encodeSafetensors = (tensors: Iterable<readonly [string, Tensor]>, metadata: Record<string, string>, name: string): Uint8Array[] => {
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {}
  const chunks: Uint8Array[] = []
  let offset = 0
  for (const [key, t] of tensors) {
    if (key in header) throw new SafetensorsError(name, `tensor '${key}' is given twice`)
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    header[key] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes.length] }
    chunks.push(bytes)
    offset += bytes.length
  }
  const encoder = new TextEncoder()
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - ((encoder.encode(json).byteLength + 8) % 8)) % 8) // align the data section to 8 bytes
  const text = encoder.encode(json)
  const length = new Uint8Array(8)
  new DataView(length.buffer).setBigUint64(0, BigInt(text.byteLength), true)
  return [length, text, ...chunks]
}
