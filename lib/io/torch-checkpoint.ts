import * as TE from 'fp-ts/TaskEither'
import { Parser } from 'pickleparser'
import { Tensor } from '../tensor'
import { readTorchZip } from './torch-zip'

/**
 * Reader of PyTorch checkpoints as timm writes them (`last.pth.tar`, `model_best.pth.tar`,
 * `checkpoint-N.pth.tar`): the zip's pickle is read by pickleparser with an allow-list of exactly
 * the globals a timm checkpoint holds (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
 * torch's typed storages, `argparse.Namespace`). Any other global, a persistent id that is not a
 * storage, or an extension code is refused naming it: nothing in the file is ever called (a JavaScript
 * reader cannot run Python, and no global stands for a function beyond those). Float tensors are
 * float32 (float64, float16, bfloat16 widened or narrowed); integer tensors (`num_batches_tracked`)
 * are kept as numbers; a storage's bytes are checked against the elements it declares.
 *
 * @example
 * const r = await readTorchCheckpoint('output/train/x/last.pth.tar')()
 * if (isRight(r)) timmParts(r.right).stateDict
 */
export class TorchCheckpointError extends Error {
  constructor(readonly file: string, detail: string) {
    // one line, whatever a damaged file's names hold
    const line = detail.replace(/[\x00-\x1f\x7f-\x9f]/g, '?')
    super(`${file}: ${line.length > 400 ? `${line.slice(0, 400)}...` : line}`)
    this.name = 'TorchCheckpointError'
  }
}

/**
 * A tensor as the checkpoint holds it: float data as float32, integer data as numbers.
 *
 * @example
 * const v: TorchValue = parts.weights.get('classif.weight')!
 */
export type TorchValue = Tensor | { readonly integer: true; readonly shape: readonly number[]; readonly data: readonly number[] }

const STORAGES: Record<string, { bytes: number; read: (b: Buffer, i: number) => number; float: boolean }> = {
  FloatStorage: { bytes: 4, read: (b, i) => b.readFloatLE(4 * i), float: true },
  DoubleStorage: { bytes: 8, read: (b, i) => b.readDoubleLE(8 * i), float: true },
  HalfStorage: { bytes: 2, read: (b, i) => half(b.readUInt16LE(2 * i)), float: true },
  BFloat16Storage: { bytes: 2, read: (b, i) => new Float32Array(new Uint32Array([b.readUInt16LE(2 * i) << 16]).buffer)[0]!, float: true },
  LongStorage: { bytes: 8, read: (b, i) => Number(b.readBigInt64LE(8 * i)), float: false },
  IntStorage: { bytes: 4, read: (b, i) => b.readInt32LE(4 * i), float: false },
  ByteStorage: { bytes: 1, read: (b, i) => b.readUInt8(i), float: false },
  BoolStorage: { bytes: 1, read: (b, i) => b.readUInt8(i), float: false },
}

const half = (h: number) => {
  const e = (h >> 10) & 31
  const m = h & 1023
  const s = h >> 15 ? -1 : 1
  return e === 0 ? s * 2 ** -14 * (m / 1024) : e === 31 ? (m ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + m / 1024)
}

/** What the allow-listed globals stand for. */
class StorageType {
  constructor(readonly name: string) {}
}
interface Storage {
  readonly type: StorageType
  readonly key: string
  readonly bytes: Buffer
  readonly numel: number
}

/**
 * `argparse.Namespace`: timm's `args`, kept as a plain record of its attributes.
 *
 * @example
 * if (root.get('args') instanceof Namespace) console.log(root.get('args').values.lr)
 */
export class Namespace {
  readonly values: Record<string, unknown> = {}
  __setstate__(state: unknown): void {
    if (!(state instanceof Map)) throw new Error('argparse.Namespace: expected a dict of attributes')
    for (const [k, v] of state) if (typeof k === 'string' && k !== '__proto__') this.values[k] = v
  }
}

/** The globals a timm checkpoint needs, and nothing else. */
const ALLOWED = ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'argparse.Namespace', ...Object.keys(STORAGES).map(s => `torch.${s}`)]

/**
 * A checkpoint's size limit: Inception-ResNet-v2 with RMSProp state is about 670 MB.
 *
 * @example
 * MAX_CHECKPOINT_BYTES // 8 GiB
 */
export const MAX_CHECKPOINT_BYTES = 8 * 1024 ** 3

/**
 * Reads a `torch.save` file's object (a Map for a dict, arrays for lists and tuples).
 *
 * @example
 * const r = await readTorchCheckpoint('last.pth.tar')()
 */
export const readTorchCheckpoint = (file: string): TE.TaskEither<TorchCheckpointError, unknown> =>
  TE.tryCatch(async () => {
    const fail = (why: string): never => {
      throw new TorchCheckpointError(file, why)
    }
    const { prefix, members } = await readTorchZip(file, MAX_CHECKPOINT_BYTES, fail)
    const pickle = members.get(`${prefix}/data.pkl`) ?? fail(`no ${prefix}/data.pkl in the zip (not a torch.save file)`)
    const storage = (pid: unknown): Storage => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof StorageType) || typeof pid[2] !== 'string' || typeof pid[4] !== 'number') {
        return fail(`refusing a persistent id that is not a tensor storage: ${JSON.stringify(pid, (_k, v) => (v instanceof StorageType ? v.name : v))?.slice(0, 80)}`)
      }
      const [, type, key, , numel] = pid as [string, StorageType, string, string, number]
      const bytes = members.get(`${prefix}/data/${key}`) ?? fail(`storage ${key}: no member ${prefix}/data/${key}`)
      if (bytes.length !== numel * STORAGES[type.name]!.bytes) fail(`storage ${key}: ${bytes.length} bytes for ${numel} elements of ${type.name}`)
      return { type, key, bytes, numel }
    }
    const parser = new Parser({
      unpicklingTypeOfDictionary: 'Map',
      nameResolver: {
        resolve: (module: string, name: string) => {
          const fqn = `${module}.${name}`
          if (!ALLOWED.includes(fqn)) fail(`refusing the pickle's global '${fqn}': a timm checkpoint needs only ${ALLOWED.join(', ')}; nothing was run`)
          if (fqn === 'collections.OrderedDict') return () => new Map()
          if (fqn === 'argparse.Namespace') return Namespace
          if (fqn === 'torch._utils._rebuild_tensor_v2') return (s: Storage, offset: number, size: number[], stride: number[]) => rebuild(s, offset, size, stride, fail)
          return new StorageType(name)
        },
      },
      persistentResolver: { resolve: storage },
      extensionResolver: { resolve: (code: number) => fail(`refusing the pickle's extension code ${code}`) },
    } as never)
    try {
      return parser.parse(pickle)
    } catch (e) {
      if (e instanceof TorchCheckpointError) throw e
      return fail(`corrupt pickle in ${prefix}/data.pkl: ${(e as Error).message.split('\n')[0]}`)
    }
  }, e => (e instanceof TorchCheckpointError ? e : new TorchCheckpointError(file, (e as Error).message.split('\n')[0]!)))

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`: the elements, gathered by stride. */
const rebuild = (s: Storage, offset: number, size: number[], stride: number[], fail: (why: string) => never): TorchValue => {
  if (!(s && typeof s === 'object' && 'bytes' in s)) fail('a tensor rebuilt from something that is not a storage')
  if (!Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length || !Number.isInteger(offset) || offset < 0) fail(`storage ${s.key}: a tensor with a bad size, stride or offset`)
  const n = size.reduce((a, b) => a * b, 1)
  const last = offset + size.reduce((m, d, i) => m + (d - 1) * stride[i]!, 0)
  if (n > 0 && (last >= s.numel || size.some(d => !Number.isInteger(d) || d < 0) || stride.some(d => !Number.isInteger(d) || d < 0))) {
    fail(`storage ${s.key}: a tensor of size [${size.join(', ')}] and stride [${stride.join(', ')}] from offset ${offset} reaches past its ${s.numel} elements`)
  }
  const kind = STORAGES[s.type.name]!
  const contiguous = size.every((_, i) => stride[i] === size.slice(i + 1).reduce((a, b) => a * b, 1) || size[i] === 1)
  if (contiguous && s.type.name === 'FloatStorage') {
    // the common case, copied at once: a row-major float32 tensor
    const bytes = s.bytes.subarray(4 * offset, 4 * (offset + n))
    const data = new Float32Array(n)
    new Uint8Array(data.buffer).set(bytes)
    return Tensor.adopt(size.length ? size : [1], data)
  }
  const values = new Array<number>(n)
  const index = new Array<number>(size.length).fill(0)
  for (let k = 0; k < n; k++) {
    let at = offset
    for (let d = 0; d < size.length; d++) at += index[d]! * stride[d]!
    values[k] = kind.read(s.bytes, at)
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) break
      index[d] = 0
    }
  }
  return kind.float ? Tensor.adopt(size.length ? size : [1], Float32Array.from(values)) : { integer: true, shape: size, data: values }
}
