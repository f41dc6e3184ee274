import * as path from 'path'
import { Pass, Workload } from './workloads'

/**
 * TensorFlow.js peers in the same process: tfjs-backend-cpu and tfjs-backend-wasm 4.22 (XNNPACK,
 * single-threaded in Node). Each pass includes `await data()`, as ours includes the output copy.
 */
export type TfBackend = 'tfjs-cpu' | 'tfjs-wasm'

// eslint-disable-next-line @typescript-eslint/no-var-requires
type Tf = typeof import('@tensorflow/tfjs-core')

let tfPromise: Promise<Tf> | undefined

const loadTf = (): Promise<Tf> =>
  (tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core')
    // tfjs-core registers no gradients; the @tensorflow/tfjs bundle registers them all (the network peers train)
    require('@tensorflow/tfjs')
    await import('@tensorflow/tfjs-backend-cpu')
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/')
    return tf
  })())

export const useTf = async (backend: TfBackend): Promise<Tf> => {
  const tf = await loadTf()
  const ok = await tf.setBackend(backend === 'tfjs-cpu' ? 'cpu' : 'wasm')
  if (!ok) throw new Error(`TensorFlow.js backend ${backend} did not initialise`)
  await tf.ready()
  return tf
}

/** A runnable pass, or the reason it cannot run (tfjs-wasm has no Conv2DBackpropFilter kernel). */
export const tfPass = (tf: Tf, w: Workload, pass: Pass, batch = w.dims[0]!): (() => Promise<unknown>) | string => {
  const run = (f: () => import('@tensorflow/tfjs-core').Tensor) => async () => {
    const y = f()
    await y.data()
    y.dispose()
  }
  const kernelName = pass === 'filter grad' ? (w.kind === 'conv' ? 'Conv2DBackpropFilter' : 'BatchMatMul') : pass === 'input grad' && w.kind === 'conv' ? 'Conv2DBackpropInput' : w.kind === 'conv' ? 'Conv2D' : 'BatchMatMul'
  if (!tf.getKernel(kernelName, tf.getBackend())) return `no ${kernelName} kernel`
  if (w.kind === 'matmul') {
    const [m, k, n] = w.dims as [number, number, number]
    const a = tf.randomNormal([m, k]) as import('@tensorflow/tfjs-core').Tensor2D
    const b = tf.randomNormal([k, n]) as import('@tensorflow/tfjs-core').Tensor2D
    const dc = tf.randomNormal([m, n]) as import('@tensorflow/tfjs-core').Tensor2D
    if (pass === 'forward') return run(() => tf.matMul(a, b))
    if (pass === 'input grad') return run(() => tf.matMul(dc, b, false, true))
    return run(() => tf.matMul(a, dc, true, false))
  }
  const dims = [batch, w.dims[1]!, w.dims[2]!, w.dims[3]!] as [number, number, number, number]
  const x = tf.randomNormal(dims) as import('@tensorflow/tfjs-core').Tensor4D
  const f = tf.randomNormal([...w.filter!] as [number, number, number, number]) as import('@tensorflow/tfjs-core').Tensor4D
  const dy = tf.randomNormal([batch, w.dims[1]!, w.dims[2]!, w.filter![3]!]) as import('@tensorflow/tfjs-core').Tensor4D
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] }
  if (pass === 'forward') return run(() => tf.conv2d(x, f, 1, 'same'))
  if (pass === 'input grad') {
    return run(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: dims } as any) as import('@tensorflow/tfjs-core').Tensor)
  }
  return run(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [...w.filter!] } as any) as import('@tensorflow/tfjs-core').Tensor)
}
