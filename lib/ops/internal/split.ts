import { Tensor } from '../../tensor'

/**
 * Work over gpu.js's argument limit is split into slices that fit, each computed by the same kernel
 * source in the same order, so the joined result is bit for bit the unsplit one. The limit is a
 * setting so that tests can split tiny tensors.
 */
/** gpu.js computes indices in float32: beyond 2^24 elements an index is no longer exact. */
export const MAX_KERNEL_ELEMENTS = 1 << 24

let limit = MAX_KERNEL_ELEMENTS

/** The largest argument or output (in values) a kernel call may take. */
export const kernelLimit = (): number => limit

/**
 * Sets the limit (tests); returns a function that restores the previous one.
 *
 * @example
 * const restore = setKernelLimit(1000)
 * try { ... } finally { restore() }
 */
export const setKernelLimit = (values: number): (() => void) => {
  if (!Number.isInteger(values) || values < 4 || values > MAX_KERNEL_ELEMENTS) {
    throw new RangeError(`kernel limit: expected an integer in [4, ${MAX_KERNEL_ELEMENTS}], got ${values}`)
  }
  const previous = limit
  limit = values
  return () => {
    limit = previous
  }
}

/**
 * Runs `run` over [0, items) in slices whose largest array (`perItem` values per item) fits the
 * limit, and joins the flat outputs in order. One slice (the common case) calls `run(0, items)`.
 */
export const inSlices = async (
  what: string, items: number, perItem: number, run: (start: number, count: number) => Promise<Float32Array>,
): Promise<Float32Array> => {
  const ranges = sliceRanges(what, items, perItem)
  if (ranges.length === 1) return run(0, items)
  const parts: Float32Array[] = []
  for (const [start, count] of ranges) parts.push(await run(start, count))
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/**
 * [start, count] slices of [0, items) whose largest array (`perItem` values per item) fits the
 * limit: one slice when everything fits.
 *
 * @example
 * for (const [start, count] of sliceRanges('conv2d filter gradient', n, perSample)) { ... }
 */
export const sliceRanges = (what: string, items: number, perItem: number): [number, number][] => {
  if (items * perItem <= limit) return [[0, items]]
  const count = Math.floor(limit / perItem)
  if (count < 1) {
    throw new RangeError(`${what}: one item needs ${perItem} values, over the kernel limit of ${limit}`)
  }
  const ranges: [number, number][] = []
  for (let start = 0; start < items; start += count) ranges.push([start, Math.min(count, items - start)])
  return ranges
}

/** Samples [start, start + count) of a batch-major tensor, without copying. */
export const batchSlice = (x: Tensor, start: number, count: number): Tensor => {
  const per = x.size / x.shape[0]!
  return Tensor.adopt([count, ...x.shape.slice(1)], x.data.subarray(start * per, (start + count) * per))
}

/**
 * A per-sample op over a batch in slices that fit the limit: `perSample` is the largest number of
 * values any of its kernels touches for one sample.
 *
 * @example
 * return byBatch('maxPool', x.shape[0], perSample, (s, c) => maxPool(batchSlice(x, s, c), opts, be), outShape)
 */
export const byBatch = async (
  what: string, n: number, perSample: number, outShape: readonly number[], run: (start: number, count: number) => Promise<Tensor>,
): Promise<Tensor> => Tensor.adopt(outShape, await inSlices(what, n, perSample, async (s, c) => (await run(s, c)).data))

/** Whether a per-sample op over `n` samples needs slicing. */
export const overLimit = (n: number, perSample: number): boolean => n * perSample > limit

/**
 * The most values a windowed op (convolution, pooling, their gradients) touches per sample: the
 * padded input, the output (plus a block of 4 rows and a zero row) and the per-position tap tables.
 */
export const windowPerSample = (g: { hp: number; wp: number; c: number; kh: number; kw: number; y: { out: number }; x: { out: number } }, cout: number): number =>
  Math.max(g.hp * g.wp * Math.max(g.c, g.kh * g.kw, cout), (g.y.out * g.x.out + 5) * Math.max(cout, g.c))
