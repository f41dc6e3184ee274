import { Tensor } from '../tensor'

/**
 * What `torch.save` files hold, as values to pickle: JavaScript null, booleans, numbers (integers
 * as Python ints, others as floats), strings, arrays (Python lists), and these tagged forms.
 *
 * @example
 * const v: PickleValue = { kind: 'ordered-dict', entries: [['w', { kind: 'tensor', tensor }]] }
 */
export type PickleValue =
  | null | boolean | number | string | readonly PickleValue[]
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'tuple'; readonly items: readonly PickleValue[] }
  | { readonly kind: 'dict'; readonly entries: readonly (readonly [PickleValue, PickleValue])[] }
  | { readonly kind: 'ordered-dict'; readonly entries: readonly (readonly [string, PickleValue])[] }
  | { readonly kind: 'namespace'; readonly values: Readonly<Record<string, PickleValue>> }
  /** A float32 tensor (row-major, in the layout given); its bytes become a storage member. */
  | { readonly kind: 'tensor'; readonly tensor: Tensor; readonly shape?: readonly number[] }

/**
 * Pickles a value in protocol 2 as `torch.save` does (torch's default protocol): tensors through
 * `torch._utils._rebuild_tensor_v2` with a persistent id per storage, whose float32 bytes are
 * returned beside the pickle by storage key ('0', '1', ...) for the zip's `data/` folder.
 *
 * @example
 * const { pickle, storages } = picklePyTorch({ kind: 'dict', entries: [['epoch', 3]] })
 */
export const picklePyTorch = (value: PickleValue): { pickle: Buffer; storages: ReadonlyMap<string, Buffer> } => {
  const out: Buffer[] = []
  const storages = new Map<string, Buffer>()
  const op = (...bytes: number[]): void => void out.push(Buffer.from(bytes))
  const global = (module: string, name: string): void => void out.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'))
  const MARK = 0x28
  const int = (n: number): void => {
    if (n >= 0 && n < 256) return op(0x4b, n) // BININT1
    if (n >= 0 && n < 65536) return op(0x4d, n & 255, n >> 8) // BININT2
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(5)
      b[0] = 0x4a // BININT
      b.writeInt32LE(n, 1)
      return void out.push(b)
    }
    // LONG1: little-endian two's complement, 8 bytes is enough for any safe integer
    const b = Buffer.alloc(10)
    b[0] = 0x8a
    b[1] = 8
    b.writeBigInt64LE(BigInt(n), 2)
    out.push(b)
  }
  const float = (x: number): void => {
    const b = Buffer.alloc(9)
    b[0] = 0x47 // BINFLOAT, big-endian
    b.writeDoubleBE(x, 1)
    out.push(b)
  }
  const str = (s: string): void => {
    const bytes = Buffer.from(s, 'utf8')
    const h = Buffer.alloc(5)
    h[0] = 0x58 // BINUNICODE
    h.writeUInt32LE(bytes.length, 1)
    out.push(h, bytes)
  }
  const tuple = (items: readonly PickleValue[]): void => {
    if (items.length === 0) return op(0x29) // EMPTY_TUPLE
    if (items.length <= 3) {
      items.forEach(emit)
      return op([0x85, 0x86, 0x87][items.length - 1]!) // TUPLE1-3
    }
    op(MARK)
    items.forEach(emit)
    op(0x74) // TUPLE
  }
  const orderedDict = () => {
    global('collections', 'OrderedDict')
    op(0x29, 0x52) // EMPTY_TUPLE, REDUCE
  }
  const setItems = (entries: readonly (readonly [PickleValue, PickleValue])[]): void => {
    if (entries.length === 0) return
    op(MARK)
    for (const [k, v] of entries) {
      emit(k)
      emit(v)
    }
    op(0x75) // SETITEMS
  }
  function emit(v: PickleValue): void {
    if (v === null) return op(0x4e) // NONE
    if (v === true) return op(0x88) // NEWTRUE
    if (v === false) return op(0x89) // NEWFALSE
    if (typeof v === 'number') return Number.isSafeInteger(v) ? int(v) : float(v)
    if (typeof v === 'string') return str(v)
    if (Array.isArray(v)) {
      op(0x5d) // EMPTY_LIST
      if (v.length) {
        op(MARK)
        v.forEach(emit)
        op(0x65) // APPENDS
      }
      return
    }
    const t = v as Exclude<PickleValue, null | boolean | number | string | readonly PickleValue[]>
    switch (t.kind) {
      case 'float':
        return float(t.value)
      case 'tuple':
        return tuple(t.items)
      case 'dict':
        op(0x7d) // EMPTY_DICT
        return setItems(t.entries)
      case 'ordered-dict':
        orderedDict()
        return setItems(t.entries)
      case 'namespace':
        global('argparse', 'Namespace')
        op(0x29, 0x81, 0x7d) // EMPTY_TUPLE, NEWOBJ, EMPTY_DICT
        setItems(Object.entries(t.values))
        return op(0x62) // BUILD
      case 'tensor': {
        const key = String(storages.size)
        const d = t.tensor.data
        storages.set(key, Buffer.from(d.buffer, d.byteOffset, d.byteLength))
        // a 0-d tensor (an optimizer's step count) is held as [1] here
        const shape = t.shape ?? t.tensor.shape
        const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1))
        global('torch._utils', '_rebuild_tensor_v2')
        op(MARK)
        // the persistent id: ('storage', torch.FloatStorage, key, 'cpu', numel)
        op(MARK)
        str('storage')
        global('torch', 'FloatStorage')
        str(key)
        str('cpu')
        int(d.length)
        op(0x74, 0x51) // TUPLE, BINPERSID
        int(0)
        tuple(shape)
        tuple(stride)
        op(0x89) // requires_grad False
        orderedDict() // backward hooks
        op(0x74, 0x52) // TUPLE, REDUCE
        return
      }
    }
  }
  op(0x80, 2) // PROTO 2
  emit(value)
  op(0x2e) // STOP
  return { pickle: Buffer.concat(out), storages }
}
