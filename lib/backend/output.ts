/**
 * gpu.js returns outputs as typed arrays, arrays of row views, or arrays of 4-component cells
 * (Array(4) returns). The webasm backend builds those views over one contiguous buffer; when that
 * is the case we take it without copying, otherwise we copy row by row.
 */
export const flatOutput = (result: unknown, length: number): Float32Array => {
  if (result instanceof Float32Array) return result.length === length ? result : result.slice(0, length)
  const first = firstLeaf(result)
  if (first && first.buffer.byteLength >= length * 4 + first.byteOffset && first.byteOffset === 0 && isViewChain(result, first.buffer, length)) {
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

const lastLeaf = (v: unknown): Float32Array | undefined => {
  while (Array.isArray(v)) v = v[v.length - 1]
  return v instanceof Float32Array ? v : undefined
}

/**
 * True when the leaves are views of `buffer` laid out back to back from offset 0, judged by the
 * last leaf ending at `length` values (O(depth): this runs after every kernel call).
 */
const isViewChain = (v: unknown, buffer: ArrayBufferLike, length: number): boolean => {
  const last = lastLeaf(v)
  return !!last && last.buffer === buffer && last.byteOffset + last.byteLength === length * 4
}
