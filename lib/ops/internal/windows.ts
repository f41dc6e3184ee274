import { keyOf } from './launch'
import { Window2D } from './padding'
import { bufferFor } from './scratch'

/**
 * Index tables for window ops (convolution, pooling), computed once per shape and kept. gpu.js's
 * webasm backend treats a value derived through Math.floor as varying per SIMD lane, which turns
 * every read it indexes into a 4-way gather; the same value read from a table indexed by thread.y
 * stays lane-uniform (measured: convolution forward 2.1x faster). Values are exact in float32 below
 * 2^24, the limit on any kernel argument's length (checked in launch).
 */
const tables = new Map<string, Float32Array>()

export const table = (key: string, rows: number, f: (row: number) => number): Float32Array => {
  let t = tables.get(key)
  if (!t) {
    t = new Float32Array(rows)
    for (let r = 0; r < rows; r++) t[r] = f(r)
    tables.set(key, t)
  }
  return t
}

const geometryKey = (g: Window2D) => [g.n, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.y.before, g.y.after, g.x.before, g.x.after] as const

/** Offset of each output position's window start in the padded input (rows padded to a multiple of 4). */
export const windowStarts = (g: Window2D, channels: number): Float32Array => {
  const positions = g.n * g.y.out * g.x.out
  return table(keyOf('starts', ...geometryKey(g), channels), Math.ceil(positions / 4) * 4, row => {
    const p = Math.min(row, positions - 1)
    const hw = g.y.out * g.x.out
    const n = Math.floor(p / hw)
    const oy = Math.floor((p - n * hw) / g.x.out)
    const ox = p - n * hw - oy * g.x.out
    return ((n * g.hp + oy * g.stride) * g.wp + ox * g.stride) * channels
  })
}

/**
 * reach[q * taps + t]: the offset (row × `channels`) of the output position that tap t reaches from
 * input position q (unpadded, n·h·w of them), or of the zero row P (one past the last output
 * position) when the tap falls between strides or outside the output. Gradient kernels gather
 * through it without branches and write the unpadded input gradient directly: the padding's own
 * positions, cropped away afterwards, are never computed (a 1×7 layer on a 3-wide map padded to 9
 * spent two thirds of its rows there).
 */
export const tapReach = (g: Window2D, channels: number): Float32Array => {
  const taps = g.kh * g.kw
  const q = g.n * g.h * g.w
  const positions = g.n * g.y.out * g.x.out
  return table(keyOf('reach', ...geometryKey(g), channels), Math.ceil(q / 4) * 4 * taps, i => {
    const t = i % taps
    const qi = Math.floor(i / taps)
    if (qi >= q) return positions * channels
    const n = Math.floor(qi / (g.h * g.w))
    const qy = (Math.floor(qi / g.w) % g.h) + g.y.before
    const qx = (qi % g.w) + g.x.before
    const dy = qy - Math.floor(t / g.kw)
    const dx = qx - (t % g.kw)
    const oy = dy / g.stride
    const ox = dx / g.stride
    const inside = dy >= 0 && dx >= 0 && Number.isInteger(oy) && Number.isInteger(ox) && oy < g.y.out && ox < g.x.out
    return (inside ? (n * g.y.out + oy) * g.x.out + ox : positions) * channels
  })
}

/**
 * dy with one extra all-zero row appended, the target of taps that reach no output: in `slot`'s
 * scratch buffer when given (see scratch.ts: pass it straight to a kernel call).
 */
export const withZeroRow = (dy: Float32Array, channels: number, slot?: string): Float32Array => {
  const out = bufferFor(slot, dy.length + channels)
  out.set(dy)
  out.fill(0, dy.length)
  return out
}

/**
 * One stride phase of a strided convolution's input gradient. With stride s, a padded input position
 * (qy, qx) is reached only by the taps with ky ≡ qy and kx ≡ qx (mod s): the positions split into s²
 * phases, each with its own subset of taps. `positions` are the phase's input positions (unpadded, flat, in
 * order), `taps` its taps, `reach[p * taps.length + j]` the dy row (× channels) tap j reaches from
 * position p, or the zero row when it falls outside the output. Computing each phase over its own
 * taps skips the (s² − 1)/s² of tap visits that reach nothing.
 */
export interface StridePhase {
  readonly positions: Int32Array
  readonly taps: readonly number[]
  readonly reach: Float32Array
}

const phases = new Map<string, StridePhase[]>()

/** The s² phases of a strided window geometry (cached per shape). */
export const stridePhases = (g: Window2D, channels: number): StridePhase[] => {
  const key = keyOf('phases', ...geometryKey(g), channels)
  const cached = phases.get(key)
  if (cached) return cached
  const s = g.stride
  const outputs = g.n * g.y.out * g.x.out
  const made: StridePhase[] = []
  for (let py = 0; py < s; py++) {
    for (let px = 0; px < s; px++) {
      const taps: number[] = []
      for (let t = 0; t < g.kh * g.kw; t++) if (Math.floor(t / g.kw) % s === py && (t % g.kw) % s === px) taps.push(t)
      // interior positions only (padded coordinates qy, qx; unpadded index in the list)
      const list: number[] = []
      const padded: [number, number, number][] = []
      const y0 = g.y.before, x0 = g.x.before
      for (let n = 0; n < g.n; n++) {
        for (let qy = py; qy < g.hp; qy += s) {
          if (qy < y0 || qy >= y0 + g.h) continue
          for (let qx = px; qx < g.wp; qx += s) {
            if (qx < x0 || qx >= x0 + g.w) continue
            list.push((n * g.h + qy - y0) * g.w + qx - x0)
            padded.push([n, qy, qx])
          }
        }
      }
      const rows = Math.ceil(list.length / 4) * 4
      const reach = new Float32Array(rows * Math.max(taps.length, 1)).fill(outputs * channels)
      padded.forEach(([n, qy, qx], p) => {
        taps.forEach((t, j) => {
          const oy = (qy - Math.floor(t / g.kw)) / s
          const ox = (qx - (t % g.kw)) / s
          if (oy >= 0 && ox >= 0 && oy < g.y.out && ox < g.x.out) reach[p * taps.length + j] = ((n * g.y.out + oy) * g.x.out + ox) * channels
        })
      })
      made.push({ positions: Int32Array.from(list), taps, reach })
    }
  }
  phases.set(key, made)
  return made
}
