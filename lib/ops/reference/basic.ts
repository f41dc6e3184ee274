/**
 * Float64 references for the simple ops, written the obvious way: the oracles the kernels are
 * tested against on every backend, and the functions finite differences are taken of.
 */
export type Vec = ArrayLike<number>

export const reluRef = (x: Vec) => Float64Array.from(x, v => Math.max(v, 0))
export const addRef = (a: Vec, b: Vec) => Float64Array.from(a, (v, i) => v + b[i]!)
export const scaledAddRef = (a: Vec, b: Vec, s: number) => Float64Array.from(a, (v, i) => v + s * b[i]!)

export const concatRef = (xs: readonly Vec[], widths: readonly number[]): Float64Array => {
  const rows = xs[0]!.length / widths[0]!
  const total = widths.reduce((a, b) => a + b, 0)
  const out = new Float64Array(rows * total)
  for (let r = 0; r < rows; r++) {
    let off = 0
    xs.forEach((x, i) => {
      for (let c = 0; c < widths[i]!; c++) out[r * total + off + c] = x[r * widths[i]! + c]!
      off += widths[i]!
    })
  }
  return out
}

export const globalAvgPoolRef = (x: Vec, n: number, hw: number, c: number): Float64Array => {
  const out = new Float64Array(n * c)
  for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) for (let k = 0; k < c; k++) out[b * c + k] += x[(b * hw + i) * c + k]! / hw
  return out
}

export const denseRef = (x: Vec, w: Vec, b: Vec | undefined, n: number, i: number, o: number): Float64Array => {
  const out = new Float64Array(n * o)
  for (let r = 0; r < n; r++)
    for (let j = 0; j < o; j++) {
      let s = b ? b[j]! : 0
      for (let k = 0; k < i; k++) s += x[r * i + k]! * w[k * o + j]!
      out[r * o + j] = s
    }
  return out
}

/** Mean cross-entropy against (possibly smoothed) targets, with a max-shifted log-sum-exp. */
export const softmaxCrossEntropyRef = (z: Vec, t: Vec, n: number, k: number): number => {
  let total = 0
  for (let r = 0; r < n; r++) {
    let m = -Infinity
    for (let j = 0; j < k; j++) m = Math.max(m, z[r * k + j]!)
    let s = 0
    for (let j = 0; j < k; j++) s += Math.exp(z[r * k + j]! - m)
    const lse = m + Math.log(s)
    for (let j = 0; j < k; j++) total += t[r * k + j]! * (lse - z[r * k + j]!)
  }
  return total / n
}

/** Training-mode batch norm over the last axis (biased batch variance). */
export const batchNormTrainingRef = (x: Vec, gamma: Vec | undefined, beta: Vec, c: number, eps: number): Float64Array => {
  const m = x.length / c
  const mean = new Float64Array(c)
  const variance = new Float64Array(c)
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i]! / m
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i]! - mean[i % c]!) ** 2 / m
  return Float64Array.from(x, (v, i) => {
    const k = i % c
    return ((v - mean[k]!) / Math.sqrt(variance[k]! + eps)) * (gamma ? gamma[k]! : 1) + beta[k]!
  })
}

export const batchNormInferenceRef = (x: Vec, gamma: Vec | undefined, beta: Vec, mean: Vec, variance: Vec, c: number, eps: number): Float64Array =>
  Float64Array.from(x, (v, i) => {
    const k = i % c
    return ((v - mean[k]!) / Math.sqrt(variance[k]! + eps)) * (gamma ? gamma[k]! : 1) + beta[k]!
  })
