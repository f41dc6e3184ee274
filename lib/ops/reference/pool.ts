import { Window2D } from '../internal/padding'

/** Float64 pooling with explicit bounds checks (no padded copies): the oracle for pool.ts. */
const pool = (g: Window2D, x: ArrayLike<number>, reduce: 'max' | 'avg'): Float64Array => {
  const out = new Float64Array(g.n * g.y.out * g.x.out * g.c)
  let o = 0
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.y.out; oy++)
      for (let ox = 0; ox < g.x.out; ox++)
        for (let c = 0; c < g.c; c++) {
          let acc = reduce === 'max' ? -Infinity : 0
          let count = 0
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.stride + ky - g.y.before
            if (iy < 0 || iy >= g.h) continue
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.stride + kx - g.x.before
              if (ix < 0 || ix >= g.w) continue
              const v = x[((b * g.h + iy) * g.w + ix) * g.c + c]!
              acc = reduce === 'max' ? Math.max(acc, v) : acc + v
              count++
            }
          }
          out[o++] = reduce === 'max' ? acc : acc / count
        }
  return out
}

export const maxPoolRef = (g: Window2D, x: ArrayLike<number>) => pool(g, x, 'max')
export const avgPoolRef = (g: Window2D, x: ArrayLike<number>) => pool(g, x, 'avg')
