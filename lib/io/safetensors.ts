import { randomBytes } from 'crypto'
import { isLeft } from 'fp-ts/Either'
import * as TE from 'fp-ts/TaskEither'
import { promises as fs } from 'fs'
import * as path from 'path'
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
 * const f = await readSafetensors('model.safetensors')()
 * if (isRight(f)) console.log([...f.right.tensors.keys()], f.right.metadata)
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

/** float16 / bfloat16 bit patterns to float32. */
const widen = (dtype: 'F16' | 'BF16', bytes: Buffer, n: number): Float32Array => {
  const out = new Float32Array(n)
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer)
    for (let i = 0; i < n; i++) u32[i] = bytes.readUInt16LE(2 * i) << 16
    return out
  }
  for (let i = 0; i < n; i++) {
    const h = bytes.readUInt16LE(2 * i)
    const sign = h & 0x8000 ? -1 : 1
    const exp = (h >> 10) & 0x1f
    const frac = h & 0x3ff
    out[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024) : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * 2 ** (exp - 15) * (1 + frac / 1024)
  }
  return out
}

const toFloat32 = (dtype: DType, bytes: Buffer, n: number): Float32Array | undefined => {
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
 * Reads a safetensors file (a TaskEither: nothing happens until it is run).
 *
 * @example
 * const r = await readSafetensors('model.safetensors')()
 * if (isLeft(r)) throw r.left
 * const w = r.right.tensors.get('features.0.conv.weight')
 */
export const readSafetensors = (file: string): TE.TaskEither<SafetensorsError, SafetensorsFile> =>
  TE.tryCatch(async () => {
    const st = await fs.stat(file).catch(e => { throw new SafetensorsError(file, `cannot open: ${(e as Error).message}`) })
    if (!st.isFile()) throw new SafetensorsError(file, 'not a regular file')
    const handle = await fs.open(file, 'r').catch(e => { throw new SafetensorsError(file, `cannot open: ${(e as Error).message}`) })
    try {
      const { size } = await handle.stat()
      if (size < 8) throw new SafetensorsError(file, `${size} bytes is too short for a safetensors file (8-byte header length first)`)
      const lengthBytes = Buffer.alloc(8)
      await handle.read(lengthBytes, 0, 8, 0)
      const headerLength = Number(lengthBytes.readBigUInt64LE(0))
      if (headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
        throw new SafetensorsError(file, `header length ${headerLength} exceeds the file (${size} bytes) or the ${MAX_HEADER_BYTES}-byte limit`)
      }
      const headerBytes = Buffer.alloc(headerLength)
      await handle.read(headerBytes, 0, headerLength, 8)
      let header: unknown
      const text = headerBytes.toString('utf8')
      try {
        header = JSON.parse(text)
      } catch (e) {
        throw new SafetensorsError(file, `header is not valid JSON: ${(e as Error).message}`)
      }
      const dup = duplicateKey(text)
      if (dup !== undefined) throw new SafetensorsError(file, `header: key '${dup}' appears twice`)
      const dataStart = 8 + headerLength
      const { entries, metadata } = validateHeader(file, header, size - dataStart)
      const tensors = new Map<string, Tensor>()
      const skipped = new Map<string, DType>()
      for (const { name, info } of entries) {
        const [begin, end] = info.data_offsets
        const n = info.shape.reduce((a, b) => a * b, 1)
        if (!['F32', 'F64', 'F16', 'BF16'].includes(info.dtype) || n === 0) {
          skipped.set(name, info.dtype)
          continue
        }
        const bytes = Buffer.alloc(end - begin)
        const { bytesRead } = await handle.read(bytes, 0, end - begin, dataStart + begin)
        if (bytesRead !== end - begin) throw new SafetensorsError(file, `tensor '${name}': the file ended while reading it (changed while being read?)`)
        const values = toFloat32(info.dtype, bytes, n)!
        const bad = values.findIndex(v => !Number.isFinite(v))
        if (bad >= 0) throw new SafetensorsError(file, `tensor '${name}': element ${bad} is ${values[bad]}; weights must be finite`)
        tensors.set(name, Tensor.adopt(info.shape.length ? info.shape : [1], values))
      }
      return { tensors, metadata, skipped }
    } finally {
      await handle.close()
    }
  }, e => (e instanceof SafetensorsError ? e : new SafetensorsError(file, (e as Error).message)))

/**
 * Writes float32 tensors in the given order, to a temporary file of its own (two writers never share
 * one), flushed to disk and renamed into place: a crash or a failed write leaves the previous file
 * under the real name intact and no temporary file behind.
 *
 * @example
 * await writeSafetensors('out.safetensors', [['w', Tensor.ones([2, 2])]], { format: 'pt' })()
 */
export const writeSafetensors = (file: string, tensors: Iterable<readonly [string, Tensor]>, metadata: Record<string, string> = {}): TE.TaskEither<SafetensorsError, void> =>
  TE.tryCatch(async () => {
    const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {}
    const chunks: Buffer[] = []
    let offset = 0
    for (const [name, t] of tensors) {
      if (name in header) throw new SafetensorsError(file, `tensor '${name}' is given twice`)
      const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
      header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes.length] }
      chunks.push(bytes)
      offset += bytes.length
    }
    let json = JSON.stringify(header)
    json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8) // align the data section to 8 bytes
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    const handle = await fs.open(tmp, 'wx')
    try {
      for (const b of [length, Buffer.from(json), ...chunks]) await handle.write(b)
      await handle.sync()
      await handle.close()
      await fs.rename(tmp, file)
    } catch (e) {
      await handle.close().catch(() => undefined)
      await fs.rm(tmp, { force: true })
      throw e
    }
  }, e => (e instanceof SafetensorsError ? e : new SafetensorsError(file, (e as Error).message)))
