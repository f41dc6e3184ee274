import { importEsm } from '../io/import-esm'

/**
 * Probes for the GPU backends. Each answers what it found, including whether the device is a software
 * rasteriser (Mesa llvmpipe / lavapipe, SwiftShader): those run our kernels 3-6x slower than webasm
 * on a CPU, so `auto` must not prefer them.
 *
 * @example
 * const { available, device, software } = probeHeadlessGL()
 */
export interface Probe {
  readonly available: boolean
  readonly device: string
  readonly software: boolean
  readonly reason?: string
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i

export const probeHeadlessGL = (): Probe => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const createGL = require('gl') as (w: number, h: number) => WebGLRenderingContextLike | null
    const gl = createGL(1, 1)
    if (!gl) return { available: false, device: 'none', software: false, reason: 'gl loaded but no context (no X display? run under xvfb-run -a)' }
    const info = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_RENDERER_WEBGL: number } | null
    const device = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
    gl.getExtension('STACKGL_destroy_context')?.destroy()
    return { available: true, device, software: SOFTWARE.test(device) }
  } catch (e) {
    return { available: false, device: 'none', software: false, reason: `the optional gl package did not load: ${(e as Error).message.split('\n')[0]}` }
  }
}

interface WebGLRenderingContextLike {
  RENDERER: number
  getExtension(name: string): any
  getParameter(p: number): unknown
}

let webgpuInstalled: Promise<Probe> | undefined

/**
 * Installs the Node `navigator.gpu` shim from the `webgpu` package (Dawn) once, and works around
 * gpu.js 2.24.1 assigning a plain function to `device.onuncapturederror`, which Dawn's Node binding
 * rejects: requestDevice is wrapped so the property is shadowed by an ordinary writable one.
 */
export const probeWebGPU = (): Promise<Probe> => {
  webgpuInstalled ??= (async (): Promise<Probe> => {
    try {
      const g = globalThis as any
      if (!g.navigator?.gpu) {
        const webgpu = await importEsm<any>('webgpu')
        Object.assign(globalThis, webgpu.globals ?? {})
        const gpu = webgpu.create([])
        if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
        else g.navigator = { gpu }
      }
      const adapter = await g.navigator.gpu.requestAdapter()
      if (!adapter) return { available: false, device: 'none', software: false, reason: 'navigator.gpu answered no adapter' }
      const requestAdapter = g.navigator.gpu.requestAdapter.bind(g.navigator.gpu)
      g.navigator.gpu.requestAdapter = async (...args: unknown[]) => {
        const a = await requestAdapter(...args)
        if (a) {
          const req = a.requestDevice.bind(a)
          a.requestDevice = async (...dargs: unknown[]) => shadowUncapturedError(await req(...dargs))
        }
        return a
      }
      const info = adapter.info ?? {}
      const device = [info.vendor, info.architecture, info.description, info.device].filter(Boolean).join(' ') || 'unknown adapter'
      return { available: true, device, software: SOFTWARE.test(device) }
    } catch (e) {
      return { available: false, device: 'none', software: false, reason: `webgpu did not load: ${(e as Error).message.split('\n')[0]}` }
    }
  })()
  return webgpuInstalled
}

const shadowUncapturedError = (device: any): any => {
  let handler: unknown = null
  Object.defineProperty(device, 'onuncapturederror', {
    configurable: true,
    get: () => handler,
    set: (h: unknown) => { handler = h },
  })
  device.addEventListener?.('uncapturederror', (e: unknown) => typeof handler === 'function' && (handler as (e: unknown) => void)(e))
  return device
}
