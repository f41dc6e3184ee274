/**
 * gpu.js returns outputs as typed arrays, arrays of row views, or arrays of 4-component cells
 * (Array(4) returns). The webasm backend builds those views over one contiguous buffer; when that
 * is the case we take it without copying, otherwise we copy row by row.
 */
export const flatOutput = (result: unknown, length: number): Float32Array => {
  if (result instanceof Float32Array) return result.length === length ? result : result.slice(0, length)
  const first = firstLeaf(result)
  if (first && first.buffer.byteLength >= length * 4 + first.byteOffset && first.byteOffset === 0 && isViewChain(result, first.buffer)) {
    return new Float32Array(first.buffer, 0, length)
  }
  const out = new Float32Array(length)
  let offset = 0
  const walk = (v: unknown): void => {
    if (offset >= length) return
    if (v instanceof Float32Array) {
      const n = Math.min(v.length, length - offset)
      out.set(n === v.length ? v : v.subarray(0, n), offset)
      offset += n
    } else if (Array.isArray(v)) {
      for (const e of v) walk(e)
    } else if (typeof v === 'number') {
      out[offset++] = v
    }
  }
  walk(result)
  if (offset !== length) throw new Error(`kernel output: expected ${length} values, got ${offset}`)
  return out
}

const firstLeaf = (v: unknown): Float32Array | undefined => {
  while (Array.isArray(v)) v = v[0]
  return v instanceof Float32Array ? v : undefined
}

/** True when every leaf is a view of `buffer` laid out back to back (checked on the last leaf). */
const isViewChain = (v: unknown, buffer: ArrayBufferLike): boolean => {
  let leaves = 0
  let last: Float32Array | undefined
  const count = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(count)
    else if (x instanceof Float32Array) {
      leaves += x.length
      last = x
    }
  }
  count(v)
  return !!last && last.buffer === buffer && last.byteOffset + last.byteLength === leaves * 4
}
