import { Backend } from '../backend'
import { Tensor, shapeToString } from '../tensor'
import { launch, keyOf } from './internal/launch'
import { accumulatePair } from './internal/multiply-add'
import { tileKey, tileReturn, tileRows, withLayout } from './internal/tile'

/**
 * Which operands are used transposed.
 *
 * @example
 * const c = await matmul(a, b, { transposeA: true }, backend)
 */
export interface MatmulOptions {
  /** a is stored [K, M] and used transposed. */
  readonly transposeA?: boolean
  /** b is stored [N, K] and used transposed. */
  readonly transposeB?: boolean
}

/**
 * C[M, N] = A[M, K] · B[K, N] (+ bias[N]). Each thread computes 4 rows for its column: the 4 SIMD
 * lanes run over 4 columns, so a B read is the only per-lane gather and the 4 A reads are
 * lane-uniform loads: 16 multiply-adds per gather (see notes/gpujs-backends.md).
 */
const source = (be: Backend, ta: boolean, tb: boolean, bias: boolean, pairs: boolean): string => {
  const A = (r: string, k = 'kk') => (ta ? `a[${k} * this.constants.M + ${r}]` : `a[${r} * this.constants.K + ${k}]`)
  const B = (k = 'kk') => (tb ? `b[n * this.constants.K + ${k}]` : `b[${k} * this.constants.N + n]`)
  // Two products per step when K is even: shorter dependency chains (as in conv2d).
  const loop = pairs
    ? `for (let kk = 0; kk < this.constants.K; kk += 2) {
    const ba = ${B()};
    const bb = ${B('(kk + 1)')};
    ${accumulatePair(be, 's0', `${A('m0')} * ba`, `${A('m0', '(kk + 1)')} * bb`)}
    ${accumulatePair(be, 's1', `${A('m1')} * ba`, `${A('m1', '(kk + 1)')} * bb`)}
    ${accumulatePair(be, 's2', `${A('m2')} * ba`, `${A('m2', '(kk + 1)')} * bb`)}
    ${accumulatePair(be, 's3', `${A('m3')} * ba`, `${A('m3', '(kk + 1)')} * bb`)}
  }`
    : `for (let kk = 0; kk < this.constants.K; kk++) {
    const bv = ${B()};
    s0 += ${A('m0')} * bv;
    s1 += ${A('m1')} * bv;
    s2 += ${A('m2')} * bv;
    s3 += ${A('m3')} * bv;
  }`
  return `function (a, b, bias) {
  const n = this.thread.x;
  const m0 = Math.min(this.thread.y * 4, this.constants.M - 1);
  const m1 = Math.min(this.thread.y * 4 + 1, this.constants.M - 1);
  const m2 = Math.min(this.thread.y * 4 + 2, this.constants.M - 1);
  const m3 = Math.min(this.thread.y * 4 + 3, this.constants.M - 1);
  let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0;
  ${loop}
  ${bias ? 'const bn = bias[n]; return [s0 + bn, s1 + bn, s2 + bn, s3 + bn];' : 'return [s0, s1, s2, s3];'}
}`
}

/**
 * The raw kernel on flat data; used by dense and by tests.
 *
 * @example
 * const out = await matmulFlat(backend, a.data, b.data, m, k, n, {})
 */
export const matmulFlat = async (
  be: Backend, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
  opts: MatmulOptions = {}, bias?: Float32Array,
): Promise<Float32Array> => {
  const ta = !!opts.transposeA
  const tb = !!opts.transposeB
  const tile = withLayout(be, { groups: 1, span: n })
  const spec = {
    key: keyOf('matmul', m, k, n, ta, tb, !!bias, tileKey(tile)),
    source: source(be, ta, tb, !!bias, k % 2 === 0),
    fma: true,
    output: [n, Math.ceil(m / 4)],
    constants: { M: m, K: k, N: n },
    ...tileReturn(tile),
  }
  return tileRows(await launch(be, spec, [a, b, bias ?? ZERO], Math.ceil(m / 4) * 4 * n), m, tile)
}

const ZERO = new Float32Array(4)

/**
 * Matrix product of rank-2 tensors, either operand optionally transposed.
 *
 * @example
 * const c = await matmul(a, b, {}, backend) // [m, k] · [k, n]
 */
export const matmul = async (a: Tensor, b: Tensor, opts: MatmulOptions = {}, be: Backend): Promise<Tensor> => {
  if (a.rank !== 2 || b.rank !== 2) {
    throw new RangeError(`matmul: expected two matrices, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`)
  }
  const [m, ka] = opts.transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!]
  const [kb, n] = opts.transposeB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!]
  if (ka !== kb) {
    throw new RangeError(`matmul: inner dimensions differ: ${shapeToString(a.shape)}${opts.transposeA ? 'ᵀ' : ''} · ${shapeToString(b.shape)}${opts.transposeB ? 'ᵀ' : ''}`)
  }
  const out = await matmulFlat(be, a.data, b.data, m, ka, n, opts)
  return Tensor.adopt([m, n], out)
}
