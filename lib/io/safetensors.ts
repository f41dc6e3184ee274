import { randomBytes } from 'crypto'
import { isLeft } from 'fp-ts/Either'
import * as TE from 'fp-ts/TaskEither'
import { promises as fs } from 'fs'
import * as path from 'path'
import { Tensor } from '../tensor'
import { BYTES, DType, Metadata, TensorInfo, describeErrors } from './safetensors-header'

/**
 * Safetensors reader and writer. The reader checks the whole header before reading any tensor:
 * the header length against the file, every entry's dtype and shape against its byte range, every
 * range against the data section, and that no two ranges overlap. So a truncated or malicious file
 * is refused with an error naming the file and the key, and nothing is allocated beyond what the
 * header honestly describes. F16 and BF16 are widened to float32; integer tensors (PyTorch's
 * `num_batches_tracked`) are listed in `skipped` and not loaded.
 */
export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, Tensor>
  readonly metadata: Readonly<Record<string, string>>
  /** Keys not loaded (integer dtypes), with their dtype. */
  readonly skipped: ReadonlyMap<string, DType>
}

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
  const sorted = [...entries].sort((a, b) => a.info.data_offsets[0] - b.info.data_offsets[0])
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!
    const cur = sorted[i]!
    if (cur.info.data_offsets[0] < prev.info.data_offsets[1]) {
      throw new SafetensorsError(file, `tensors '${prev.name}' and '${cur.name}' overlap (bytes [${prev.info.data_offsets}] and [${cur.info.data_offsets}])`)
    }
  }
  return { entries, metadata }
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

export const readSafetensors = (file: string): TE.TaskEither<SafetensorsError, SafetensorsFile> =>
  TE.tryCatch(async () => {
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
      try {
        header = JSON.parse(headerBytes.toString('utf8'))
      } catch (e) {
        throw new SafetensorsError(file, `header is not valid JSON: ${(e as Error).message}`)
      }
      const dataStart = 8 + headerLength
      const { entries, metadata } = validateHeader(file, header, size - dataStart)
      const tensors = new Map<string, Tensor>()
      const skipped = new Map<string, DType>()
      for (const { name, info } of entries) {
        const [begin, end] = info.data_offsets
        const n = info.shape.reduce((a, b) => a * b, 1)
        if (!['F32', 'F64', 'F16', 'BF16'].includes(info.dtype)) {
          skipped.set(name, info.dtype)
          continue
        }
        const bytes = Buffer.alloc(end - begin)
        await handle.read(bytes, 0, end - begin, dataStart + begin)
        tensors.set(name, Tensor.adopt(info.shape.length ? info.shape : [1], toFloat32(info.dtype, bytes, n)!))
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
