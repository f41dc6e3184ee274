import { existsSync, readdirSync } from 'fs'
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
 * Dawn's ways to an adapter, tried in order: its default (Vulkan on Linux, Metal, D3D12: a real
 * GPU where there is one), then OpenGL ES through EGL without a display at WebGPU's
 * `compatibility` feature level, which on a machine without a GPU is Mesa's llvmpipe: software,
 * slow, but the whole WGSL code path, so CI tests it on every commit. Without a GPU device node
 * (see {@link mayHaveGpu}) the default route is skipped: it would find at most a software Vulkan,
 * after printing its failures to stderr.
 */
const DAWN_ROUTES: readonly { readonly flags: readonly string[]; readonly adapter?: object }[] = [
  { flags: [] },
  { flags: ['backend=opengles'], adapter: { featureLevel: 'compatibility' } },
]

/**
 * Installs a Node `navigator.gpu` from the `webgpu` package (Dawn) once: the first of
 * {@link DAWN_ROUTES} that gives an adapter. gpu.js asks `requestAdapter()` without options, so
 * the route's adapter options are put in for it; and gpu.js assigns a plain function to
 * `device.onuncapturederror`, which older Dawn bindings reject, so that property is shadowed by an
 * ordinary one. In a browser `navigator.gpu` is already there and only the device shim applies.
 *
 * @example
 * const { available, device, software } = await probeWebGPU()
 */
export const probeWebGPU = (): Promise<Probe> => {
  webgpuInstalled ??= (async (): Promise<Probe> => {
    try {
      const g = globalThis as any
      let options: object | undefined
      if (!g.navigator?.gpu) {
        // EGL reads this when Dawn first opens it: no X or Wayland display is needed or wanted
        if (typeof process !== 'undefined') process.env.EGL_PLATFORM ??= 'surfaceless'
        const webgpu = await importEsm<any>('webgpu')
        Object.assign(globalThis, webgpu.globals ?? {})
        let gpu: any
        const routes = mayHaveGpu() ? DAWN_ROUTES : DAWN_ROUTES.slice(1)
        for (const route of routes) {
          const candidate = webgpu.create(route.flags)
          if (await candidate.requestAdapter(route.adapter)) {
            gpu = candidate
            options = route.adapter
            break
          }
        }
        if (!gpu) return { available: false, device: 'none', software: false, reason: `Dawn found no adapter (tried ${routes.map(r => r.flags.join(' ') || 'its default').join(', ')})` }
        if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
        else g.navigator = { gpu }
      }
      const adapter = await g.navigator.gpu.requestAdapter(options)
      if (!adapter) return { available: false, device: 'none', software: false, reason: 'navigator.gpu answered no adapter' }
      const requestAdapter = g.navigator.gpu.requestAdapter.bind(g.navigator.gpu)
      g.navigator.gpu.requestAdapter = async (asked?: object) => {
        const a = await requestAdapter(asked ?? options)
        if (a) {
          const req = a.requestDevice.bind(a)
          a.requestDevice = async (...dargs: unknown[]) => shadowUncapturedError(await req(...dargs))
        }
        return a
      }
      const device = adapterName(adapter)
      return { available: true, device, software: isSoftwareAdapter(adapter, device) }
    } catch (e) {
      return { available: false, device: 'none', software: false, reason: `webgpu did not load: ${(e as Error).message.split('\n')[0]}` }
    }
  })()
  return webgpuInstalled
}

/** An adapter's name from what it reports (Dawn on OpenGL ES names only the renderer, in `device`). */
const adapterName = (adapter: any): string => {
  const info = adapter.info ?? {}
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter'
}

/**
 * Whether an adapter is a software rasteriser: the spec's fallback flag (newer `info`, older
 * adapter field) or a known software renderer's name.
 *
 * @example
 * isSoftwareAdapter(adapter, adapterName(adapter)) // true on llvmpipe or SwiftShader
 */
export const isSoftwareAdapter = (adapter: { info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean }, name: string): boolean =>
  adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true || SOFTWARE.test(name)

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

/**
 * Whether this machine may have a GPU for `auto` to find. On Linux a GPU is a device node
 * (/dev/dri/renderD*, /dev/nvidia*, WSL's /dev/dxg); without one, `auto` does not load Dawn only
 * to learn there is none (its Vulkan probe prints to stderr on such machines). Elsewhere: maybe.
 *
 * @example
 * if (mayHaveGpu()) await probeWebGPU()
 */
export const mayHaveGpu = (platform: string = process.platform, dev = '/dev'): boolean => {
  if (platform !== 'linux') return true
  const list = (dir: string): string[] => { try { return readdirSync(dir) } catch { return [] } }
  return list(`${dev}/dri`).some(f => f.startsWith('renderD')) || list(dev).some(f => /^nvidia\d/.test(f)) || existsSync(`${dev}/dxg`)
}
