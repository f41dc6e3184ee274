import { Backend } from '../../backend'
import { launch, keyOf } from './launch'
import { inSlices } from './split'

/**
 * Per-channel sums over the rows of an [R, C] tensor, of `a`, `(a - m[c])²` or `b · (a - m[c])`.
 * Threads are (channel, group of rows), so the sum splits across the worker pool; the groups'
 * partial sums are added here in float64.
 */
export type RowReduction = 'sum' | 'squaredDeviation' | 'productWithDeviation'

const EXPR: Record<RowReduction, string> = {
  sum: 'a[j]',
  squaredDeviation: '(a[j] - m[c]) * (a[j] - m[c])',
  productWithDeviation: 'b[j] * (a[j] - m[c])',
}

const source = (kind: RowReduction): string => `function (a, b, m) {
  const c = this.thread.x;
  const first = this.thread.y * this.constants.CHUNK;
  let s = 0;
  for (let k = 0; k < this.constants.CHUNK; k++) {
    if (first + k < this.constants.R) {
      const j = (first + k) * this.constants.C + c;
      s += ${EXPR[kind]};
    }
  }
  return s;
}`

const EMPTY = new Float32Array(4)

export const reduceRows = async (
  kind: RowReduction, a: Float32Array, channels: number,
  inputs: { b?: Float32Array; m?: Float32Array } = {}, be: Backend,
): Promise<Float64Array> => {
  const rows = a.length / channels
  const groups = Math.min(rows, Math.max(1, Math.ceil(8192 / channels)), 256)
  const chunk = Math.ceil(rows / groups)
  // over the limit, whole groups run per call: each group's sum is the same sequence of additions
  const partial = await inSlices(`reduceRows ${kind}`, groups, chunk * channels, (g0, count) => {
    const r0 = g0 * chunk
    const sliceRows = Math.min(rows, (g0 + count) * chunk) - r0
    if (sliceRows <= 0) return Promise.resolve(new Float32Array(channels * count)) // trailing empty groups
    const spec = {
      key: keyOf('reduceRows', kind, sliceRows, channels, chunk),
      source: source(kind),
      output: [channels, count],
      constants: { C: channels, R: sliceRows, CHUNK: chunk },
    }
    const slice = (v: Float32Array | undefined) => (v ? v.subarray(r0 * channels, (r0 + sliceRows) * channels) : EMPTY)
    return launch(be, spec, [slice(a), slice(inputs.b), inputs.m ?? EMPTY], channels * count)
  })
  const out = new Float64Array(channels)
  for (let g = 0; g < groups; g++) for (let c = 0; c < channels; c++) out[c] += partial[g * channels + c]!
  return out
}
