import { Backend } from '../lib/backend'
import { conv2d, conv2dFilterGrad, conv2dInputGrad, matmulFlat } from '../lib/ops'
import { Tensor, keyFromSeed, normal } from '../lib/tensor'
import { Pass, Workload } from './workloads'

/** A runnable pass of a workload on one of our backends (inputs made once, outside the timing). */
export const gpujsPass = (be: Backend, w: Workload, pass: Pass): (() => Promise<unknown>) => {
  if (w.kind === 'matmul') {
    const [m, k, n] = w.dims as [number, number, number]
    const a = normal(keyFromSeed(1), [m, k]).data
    const b = normal(keyFromSeed(2), [k, n]).data
    const dc = normal(keyFromSeed(3), [m, n]).data
    if (pass === 'forward') return () => matmulFlat(be, a, b, m, k, n)
    if (pass === 'input grad') return () => matmulFlat(be, dc, b, m, n, k, { transposeB: true })
    return () => matmulFlat(be, a, dc, k, m, n, { transposeA: true })
  }
  const x = normal(keyFromSeed(1), w.dims)
  const f = normal(keyFromSeed(2), w.filter!)
  const opts = { padding: 'same' as const }
  const [nb, h, wd] = w.dims as [number, number, number]
  const dy = normal(keyFromSeed(3), [nb, h, wd, w.filter![3]!])
  if (pass === 'forward') return () => conv2d(x, f, undefined, opts, be)
  if (pass === 'input grad') return () => conv2dInputGrad(x.shape, f, dy, opts, be)
  return () => conv2dFilterGrad(x, f.shape, dy as Tensor, opts, be)
}
