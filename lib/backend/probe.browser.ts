import { adapterName, glRenderer, isSoftwareAdapter, Probe, unavailable } from './probe-common'

/**
 * The backends' probes in a browser (Node's are in `./probe.ts`, with the same exports). WebGPU and
 * WebGL are the page's own; without a hardware GPU Chromium runs both on SwiftShader, which the
 * probes report as software so that `auto` keeps webasm. webasm runs threads only in a
 * cross-origin-isolated page (COOP/COEP headers give it SharedArrayBuffer); its probe says which.
 *
 * @example
 * const { available, device, software } = await probeWebGPU()
 */
export type { Probe } from './probe-common'
export { isSoftwareAdapter } from './probe-common'

/** Whether this page may share memory with workers (gpu.js's webasm threads need it). */
export const crossOriginIsolated = (): boolean => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true

/** webasm in a browser: threaded when the page is cross-origin isolated, else on one thread (and it says so). */
export const probeWebAssembly = (supported: boolean): Probe => {
  if (!supported) return unavailable('this browser has no WebAssembly SIMD')
  return crossOriginIsolated()
    ? { available: true, device: 'CPU (WebAssembly SIMD, worker threads)', software: false }
    : { available: true, device: 'CPU (WebAssembly SIMD, one thread: the page is not cross-origin isolated; serve it with COOP/COEP headers for threads)', software: false }
}

/** headless GL is Node's; in a browser the GL backends are webgl2 and webgl. */
export const probeHeadlessGL = (): Probe => unavailable('headlessgl runs in Node; in a browser use webgl2 or webgl')

const canvas = (): { getContext(kind: string): any } | undefined => {
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): any }; document?: { createElement(tag: string): any } }
  if (g.OffscreenCanvas) return new g.OffscreenCanvas(1, 1)
  return g.document?.createElement('canvas')
}

/** WebGL 2 or 1: a context of that version and its renderer (Workers have OffscreenCanvas). */
export const probeWebGL = (version: 1 | 2): Probe => {
  const gl = canvas()?.getContext(version === 2 ? 'webgl2' : 'webgl')
  if (!gl) return unavailable(`this browser gave no ${version === 2 ? 'webgl2' : 'webgl'} context`)
  const found = glRenderer(gl)
  gl.getExtension('WEBGL_lose_context')?.loseContext()
  return found
}

let webgpuProbe: Promise<Probe> | undefined

/** The page's `navigator.gpu`: an adapter, its name, and whether it is a fallback (software) one. */
export const probeWebGPU = (): Promise<Probe> =>
  (webgpuProbe ??= (async (): Promise<Probe> => {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<any> } } }).navigator?.gpu
    if (!gpu) return unavailable('this browser has no navigator.gpu (WebGPU off, or not a secure context)')
    try {
      const adapter = await gpu.requestAdapter()
      if (!adapter) return unavailable('navigator.gpu answered no adapter')
      const device = adapterName(adapter)
      return { available: true, device, software: isSoftwareAdapter(adapter, device) }
    } catch (e) {
      return unavailable(`navigator.gpu failed: ${(e as Error).message}`)
    }
  })())

/** In a browser the GPU probes are the page's own and cheap: always worth asking. */
export const mayHaveGpu = (): boolean => true
