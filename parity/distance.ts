import { Tensor } from '../lib/tensor'
import { relativeL2 } from '../test/helpers/rounding'

/** One tensor's distance from PyTorch float64: ours and PyTorch float32's, as ‖g − g64‖ / ‖g64‖. */
export interface Distance {
  readonly key: string
  readonly ours: number
  readonly torch32: number
  /** ours / torch32 (how many times PyTorch float32's own rounding). */
  readonly ratio: number
}

/**
 * Per gradient tensor, our distance and PyTorch float32's from float64. `reference` holds
 * grad64.KEY and grad32.KEY in PyTorch's layout, as `ours` (keyed by timm's names).
 */
export const gradientDistances = (ours: ReadonlyMap<string, ArrayLike<number>>, reference: ReadonlyMap<string, Tensor>): Distance[] =>
  [...ours].map(([key, g]) => {
    const g64 = reference.get(`grad64.${key}`)
    const g32 = reference.get(`grad32.${key}`)
    if (!g64 || !g32) throw new Error(`reference: no gradient for '${key}'`)
    if (g64.data.length !== g.length) throw new Error(`reference: '${key}' holds ${g64.data.length} values, ours ${g.length}`)
    const o = relativeL2(g, g64.data)
    const t = relativeL2(g32.data, g64.data)
    return { key, ours: o, torch32: t, ratio: o / Math.max(t, 1e-7) }
  })

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)]! : NaN
}

/**
 * The acceptance rule: at least 99% of tensors within 1.5× PyTorch float32's distance (rounding is
 * luck: the same arithmetic in another order lands on either side of PyTorch's), none past 10×.
 */
export const summarizeDistances = (rows: readonly Distance[]) => {
  const within = rows.filter(r => r.ratio <= 1.5).length / rows.length
  const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a))
  return { median: median(rows.map(r => r.ours)), torchMedian: median(rows.map(r => r.torch32)), within, worst, pass: within >= 0.99 && worst.ratio <= 10 }
}
