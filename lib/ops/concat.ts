import { Backend } from '../backend'
import { Tensor, shapeToString } from '../tensor'
import { launch, keyOf } from './internal/launch'
import { inSlices } from './internal/split'

/**
 * Channel (last-axis) concatenation and its inverse. The concat kernel is generated per arity: a
 * chain of range tests on the output channel picks the source tensor, so one pass writes the result.
 */
const concatSource = (widths: readonly number[]): string => {
  const params = widths.map((_, i) => `t${i}`).join(', ')
  let offset = 0
  const cases = widths.map((w, i) => {
    const line = `if (c < ${offset + w}) { return t${i}[p * ${w} + c - ${offset}]; }`
    offset += w
    return line
  })
  return `function (${params}) {
  const c = this.thread.x;
  const p = this.thread.y;
  ${cases.join('\n  ')}
  return 0;
}`
}

/**
 * Concatenates NHWC tensors along channels (the Inception block's join).
 *
 * @example
 * const y = await concatChannels([a, b], backend) // [n, h, w, ca + cb]
 */
export const concatChannels = async (xs: readonly Tensor[], be: Backend): Promise<Tensor> => {
  if (xs.length === 0) throw new RangeError('concat: nothing to concatenate')
  if (xs.length === 1) return xs[0]!
  const lead = xs[0]!.shape.slice(0, -1)
  xs.forEach((x, i) => {
    if (x.rank !== lead.length + 1 || x.shape.slice(0, -1).some((d, j) => d !== lead[j])) {
      throw new RangeError(`concat: input ${i} has shape ${shapeToString(x.shape)}, expected [${lead.join(', ')}, *] like input 0`)
    }
  })
  const widths = xs.map(x => x.shape[x.rank - 1]!)
  const total = widths.reduce((a, b) => a + b, 0)
  const rows = xs[0]!.size / widths[0]!
  const out = await inSlices('concat', rows, total, (start, count) => {
    const spec = { key: keyOf('concat', count, ...widths), source: concatSource(widths), output: [total, count] }
    return launch(be, spec, xs.map((x, i) => x.data.subarray(start * widths[i]!, (start + count) * widths[i]!)), count * total)
  })
  return Tensor.adopt([...lead, total], out)
}

const sliceSource = `function (x) {
  return x[this.thread.y * this.constants.TOTAL + this.constants.OFFSET + this.thread.x];
}`

/**
 * Channels [offset, offset + width) of x: the gradient of concat, one call per branch.
 *
 * @example
 * const first8 = await sliceChannels(x, 0, 8, backend)
 */
export const sliceChannels = async (x: Tensor, offset: number, width: number, be: Backend): Promise<Tensor> => {
  const total = x.shape[x.rank - 1]!
  if (offset < 0 || width <= 0 || offset + width > total) {
    throw new RangeError(`sliceChannels: channels [${offset}, ${offset + width}) are outside ${shapeToString(x.shape)}`)
  }
  if (offset === 0 && width === total) return x
  const rows = x.size / total
  const out = await inSlices('sliceChannels', rows, total, (start, count) => {
    const spec = { key: keyOf('slice', count, total, offset, width), source: sliceSource, output: [width, count], constants: { TOTAL: total, OFFSET: offset } }
    return launch(be, spec, [x.data.subarray(start * total, (start + count) * total)], count * width)
  })
  return Tensor.adopt([...x.shape.slice(0, -1), width], out)
}

/**
 * Splits the channels into consecutive pieces of the given widths.
 *
 * @example
 * const [da, db] = await splitChannels(dy, [ca, cb], backend)
 */
export const splitChannels = async (x: Tensor, widths: readonly number[], be: Backend): Promise<Tensor[]> => {
  const total = widths.reduce((a, b) => a + b, 0)
  if (total !== x.shape[x.rank - 1]) {
    throw new RangeError(`splitChannels: widths [${widths.join(', ')}] sum to ${total}, the tensor ${shapeToString(x.shape)} has ${x.shape[x.rank - 1]} channels`)
  }
  let offset = 0
  return Promise.all(widths.map(w => {
    const piece = sliceChannels(x, offset, w, be)
    offset += w
    return piece
  }))
}
