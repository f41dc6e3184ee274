import { poolSizeFromEnv } from '../../lib/backend/worker-pool'
import type * as Ort from 'onnxruntime-web'
import { exportOnnx } from '../../lib/io/onnx-export'
import { Layer, Tree, graphOf } from '../../lib/nn'
import { Tensor } from '../../lib/tensor'

/** The ONNX Runtime engines the benchmark knows: its WebAssembly build in Node, and its native binding where that installs. */
export type OrtEngine = 'ort-wasm' | 'ort-native'

/**
 * ONNX Runtime as a peer: rxception's network exported with `exportOnnx` (the user feature, NHWC
 * input so that both engines read the same image), run by onnxruntime-web's threaded SIMD
 * WebAssembly in Node (as many threads as our webasm pool: RXCEPTION_THREADS, else one per core) or by onnxruntime-node. Each pass
 * includes reading the output, as ours includes its copy out of the kernel's memory.
 *
 * @example
 * const run = await ortSession('ort-wasm', net, params, state, x)
 * const logits = await run()
 */
export const ortSession = async (engine: OrtEngine, net: Layer, params: Tree, state: Tree, x: Tensor): Promise<{ run: () => Promise<Float32Array>; device: string }> => {
  const ort: typeof Ort = engine === 'ort-wasm' ? await import('onnxruntime-web') : await loadNative()
  const threads = poolSizeFromEnv()
  if (engine === 'ort-wasm') ort.env.wasm.numThreads = threads
  const [, h, w, c] = x.shape as [number, number, number, number]
  const bytes = exportOnnx(graphOf(net, x.shape), params, state, [h, w, c], { layout: 'nhwc' })
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [engine === 'ort-wasm' ? 'wasm' : 'cpu'], graphOptimizationLevel: 'all' })
  const input = new ort.Tensor('float32', x.data, [...x.shape])
  return {
    run: async () => {
      const out = await session.run({ input })
      return out.logits!.data as Float32Array
    },
    device: engine === 'ort-wasm' ? `onnxruntime-web wasm, ${threads} threads` : 'onnxruntime-node cpu',
  }
}

const loadNative = async (): Promise<typeof Ort> => {
  try {
    return (await import(/* optional, not a dependency */ 'onnxruntime-node' as string)) as typeof Ort
  } catch {
    throw new Error('onnxruntime-node is not installed (ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node; its install script downloads a CUDA package otherwise)')
  }
}
