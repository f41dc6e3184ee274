import { Backend } from '../../backend'
import { launch, keyOf } from './launch'
import { inSlices } from './split'

/**
 * Per-channel sums over the rows of an [R, C] tensor, of `a`, or both of batch norm's backward sums
 * at once (`channelMoments` below gives its forward statistics). Threads are (channel, group of rows), so the sum
 * splits across the worker pool; the groups' partial sums are added here in float64.
 */
export type RowReduction = 'sum' | 'gradSums' | 'maskedGradSums'

/** The summands of each reduction (one per result), over `d`, which `pre` defines per element. */
const EXPR: Record<RowReduction, { readonly pre: string; readonly terms: readonly string[] }> = {
  sum: { pre: 'a[j]', terms: ['d'] },
  // batch norm's backward, a = dy and b = x: Σ dy and Σ dy·(x − m) in one pass over both
  gradSums: { pre: 'a[j]', terms: ['d', 'd * (b[j] - m[c])'] },
  // the same through a fused ReLU: dy·[y > 0] with t = y ≥ 0 (the product reluGrad forms, exactly)
  maskedGradSums: { pre: 'Math.min(Math.ceil(Math.max(t[j], 0)), 1) * a[j]', terms: ['d', 'd * (b[j] - m[c])'] },
}

const source = (kind: RowReduction): string => {
  const { pre, terms } = EXPR[kind]
  return `function (a, b, t, m) {
  const c = this.thread.x;
  const first = this.thread.y * this.constants.CHUNK;
  ${terms.map((_, i) => `let s${i} = 0;`).join(' ')}
  for (let k = 0; k < this.constants.CHUNK; k++) {
    if (first + k < this.constants.R) {
      const j = (first + k) * this.constants.C + c;
      const d = ${pre};
      ${terms.map((e, i) => `s${i} += ${e};`).join('\n      ')}
    }
  }
  return ${terms.length === 1 ? 's0' : `[${terms.map((_, i) => `s${i}`).join(', ')}]`};
}`
}

const EMPTY = new Float32Array(4)

/**
 * Per-channel sums of one of the reductions above; see `reduceRowsAll` for those with two results.
 *
 * @example
 * const sums = await reduceRows('sum', x.data, channels, {}, backend)
 */
export const reduceRows = async (
  kind: RowReduction, a: Float32Array, channels: number,
  inputs: { b?: Float32Array; t?: Float32Array; m?: Float32Array } = {}, be: Backend,
): Promise<Float64Array> => (await reduceRowsAll(kind, a, channels, inputs, be))[0]!

/**
 * Every result of a reduction, one Float64Array of per-channel sums each.
 *
 * @example
 * const [dbeta, dyDev] = await reduceRowsAll('gradSums', dy.data, c, { b: x.data, m: mean }, backend)
 */
export const reduceRowsAll = async (
  kind: RowReduction, a: Float32Array, channels: number,
  inputs: { b?: Float32Array; t?: Float32Array; m?: Float32Array } = {}, be: Backend,
): Promise<Float64Array[]> => {
  const results = EXPR[kind].terms.length
  const { partial, groups } = await groupPartials(['reduceRows', kind], source(kind), [a, inputs.b, inputs.t], [inputs.m ?? EMPTY], channels, results, be)
  const out = Array.from({ length: results }, () => new Float64Array(channels))
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < channels; c++) {
      for (let r = 0; r < results; r++) out[r]![c] += partial[(g * channels + c) * results + r]!
    }
  }
  return out
}

/**
 * The shared driver of the row reductions: the rows split into groups (about 8,192 threads, at
 * most 256 groups), one thread per (channel, group) returning `results` partial sums. Over the
 * kernel limit, whole groups run per call, so each group's sum is the same sequence of additions.
 * `rowArrays` are [R, C] arrays sliced with the rows (absent ones pass a placeholder), `whole`
 * arrays pass as they are.
 */
const groupPartials = async (
  key: readonly string[], src: string, rowArrays: readonly (Float32Array | undefined)[], whole: readonly Float32Array[],
  channels: number, results: number, be: Backend,
): Promise<{ partial: Float32Array; groups: number; chunk: number }> => {
  const rows = rowArrays[0]!.length / channels
  const groups = Math.min(rows, Math.max(1, Math.ceil(8192 / channels)), 256)
  const chunk = Math.ceil(rows / groups)
  const partial = await inSlices(key.join(' '), groups, chunk * channels * results, (g0, count) => {
    const r0 = g0 * chunk
    const sliceRows = Math.min(rows, (g0 + count) * chunk) - r0
    if (sliceRows <= 0) return Promise.resolve(new Float32Array(channels * count * results)) // trailing empty groups
    const spec = {
      key: keyOf(key[0]!, ...key.slice(1), sliceRows, channels, chunk),
      source: src,
      output: [channels, count],
      constants: { C: channels, R: sliceRows, CHUNK: chunk },
      ...(results > 1 ? { components: results } : {}),
    }
    const slice = (v: Float32Array | undefined) => (v ? v.subarray(r0 * channels, (r0 + sliceRows) * channels) : EMPTY)
    return launch(be, spec, [...rowArrays.map(slice), ...whole], channels * count * results)
  })
  return { partial, groups, chunk }
}

/**
 * Per-channel mean and sum of squared deviations of an [R, C] tensor in one kernel call: each
 * thread sums its group of rows, then (reading the same rows again, now in cache) the squared
 * deviations from the group's own mean; the groups are joined here in float64 with Chan's formula
 * M2 = Σ M2_g + n_g (mean_g − mean)². Batch norm's statistics, one pass over memory instead of two
 * kernel calls.
 *
 * @example
 * const { mean, m2 } = await channelMoments(x.data, channels, backend) // variance = m2 / rows
 */
export const channelMoments = async (a: Float32Array, channels: number, be: Backend): Promise<{ mean: Float64Array; m2: Float64Array }> => {
  const rows = a.length / channels
  const { partial, groups, chunk } = await groupPartials(['channelMoments'], MOMENTS, [a], [], channels, 2, be)
  const mean = new Float64Array(channels)
  const m2 = new Float64Array(channels)
  for (let g = 0; g < groups; g++) for (let c = 0; c < channels; c++) mean[c] += partial[(g * channels + c) * 2]!
  for (let c = 0; c < channels; c++) mean[c] /= rows
  for (let g = 0; g < groups; g++) {
    const n = Math.max(0, Math.min(chunk, rows - g * chunk))
    if (n === 0) continue
    for (let c = 0; c < channels; c++) {
      const i = (g * channels + c) * 2
      const d = partial[i]! / n - mean[c]!
      m2[c] += partial[i + 1]! + n * d * d
    }
  }
  return { mean, m2 }
}

const MOMENTS = `function (a) {
  const c = this.thread.x;
  const first = this.thread.y * this.constants.CHUNK;
  let s0 = 0;
  for (let k = 0; k < this.constants.CHUNK; k++) {
    if (first + k < this.constants.R) {
      s0 += a[(first + k) * this.constants.C + c];
    }
  }
  const mu = s0 / Math.max(Math.min(this.constants.CHUNK, this.constants.R - first), 1);
  let s1 = 0;
  for (let k = 0; k < this.constants.CHUNK; k++) {
    if (first + k < this.constants.R) {
      const d = a[(first + k) * this.constants.C + c] - mu;
      s1 += d * d;
    }
  }
  return [s0, s1];
}`
