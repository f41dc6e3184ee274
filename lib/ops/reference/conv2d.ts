import { ConvGeometry } from '../conv2d'

/**
 * Plain TypeScript conv2d in float64: the oracle for the kernels. Works on the unpadded input and
 * checks bounds per tap, so it shares nothing with the kernels' padding and blocking tricks.
 */
export const conv2dRef = (g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, bias?: ArrayLike<number>): Float64Array => {
  const { n, h, w: width, c, kh, kw, stride, cout } = g
  const ho = g.y.out
  const wo = g.x.out
  const out = new Float64Array(n * ho * wo * cout)
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let co = 0; co < cout; co++) {
          let s = bias ? bias[co]! : 0
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * stride + ky - g.y.before
            if (iy < 0 || iy >= h) continue
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * stride + kx - g.x.before
              if (ix < 0 || ix >= width) continue
              for (let ci = 0; ci < c; ci++) {
                s += x[((b * h + iy) * width + ix) * c + ci]! * w[((ky * kw + kx) * c + ci) * cout + co]!
              }
            }
          }
          out[((b * ho + oy) * wo + ox) * cout + co] = s
        }
  return out
}
