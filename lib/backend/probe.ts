import { existsSync, readdirSync } from 'fs'
import { importEsm } from '../io/import-esm'
import { adapterName, glRenderer, isSoftwareAdapter, Probe, unavailable } from './probe-common'

/**
 * The backends' probes in Node (the browser's are in `./probe.browser.ts`, with the same exports).
 * Each answers what it found, including whether the device is a software rasteriser (Mesa
 * llvmpipe / lavapipe, SwiftShader): those run our kernels 3-100x slower than webasm on a CPU, so
 * `auto` must not prefer them.
 *
 * @example
 * const { available, device, software } = probeHeadlessGL()
 */
export type { Probe } from './probe-common'
export { isSoftwareAdapter } from './probe-common'

/** webasm in Node: SIMD and a pool of worker threads. */
export const probeWebAssembly = (supported: boolean): Probe =>
  supported ? { available: true, device: 'CPU (WebAssembly SIMD, worker threads)', software: false } : unavailable('this Node has no WebAssembly SIMD')

/** WebGL is a browser's: in Node the GL backend is headlessgl. */
export const probeWebGL = (version: 1 | 2): Probe => unavailable(`webgl${version === 2 ? '2' : ''} runs in a browser; in Node use headlessgl`)

export const probeHeadlessGL = (): Probe => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const createGL = require('gl') as (w: number, h: number) => (Parameters<typeof glRenderer>[0] & { getExtension(name: string): any }) | null
    const gl = createGL(1, 1)
    if (!gl) return unavailable('gl loaded but no context (no X display? run under xvfb-run -a)')
    const found = glRenderer(gl)
    gl.getExtension('STACKGL_destroy_context')?.destroy()
    return found
  } catch (e) {
    return unavailable(`the optional gl package did not load: ${(e as Error).message.split('\n')[0]}`)
  }
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
        let gpu: any
        const routes = mayHaveGpu() ? DAWN_ROUTES : DAWN_ROUTES.slice(1)
        // EGL_PLATFORM=surfaceless: no X or Wayland display is needed or wanted. Mesa's EGL reads it
        // whenever Dawn opens a display (each adapter request, gpu.js's included), so it stays set
        // when the OpenGL ES route is the one taken, and is put back otherwise
        const egl = process.env.EGL_PLATFORM
        process.env.EGL_PLATFORM ??= 'surfaceless'
        const webgpu = await importEsm<any>('webgpu')
        Object.assign(globalThis, webgpu.globals ?? {})
        for (const route of routes) {
          try {
            const candidate = webgpu.create(route.flags)
            if (await candidate.requestAdapter(route.adapter)) {
              gpu = candidate
              options = route.adapter
              break
            }
          } catch {
            // this route failed to start; the next one may work
          }
        }
        if (options === undefined) {
          if (egl === undefined) delete process.env.EGL_PLATFORM
          else process.env.EGL_PLATFORM = egl
        }
        if (!gpu) return unavailable(`Dawn found no adapter (tried ${routes.map(r => r.flags.join(' ') || 'its default').join(', ')})${headlessGLLoaded() ? HEADLESSGL_BLOCKS_EGL : ''}`)
        if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
        else g.navigator = { gpu }
      }
      const adapter = await g.navigator.gpu.requestAdapter(options)
      if (!adapter) return unavailable('navigator.gpu answered no adapter')
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
      return unavailable(`webgpu did not load: ${(e as Error).message.split('\n')[0]}`)
    }
  })()
  return webgpuInstalled
}

/**
 * Why webgpu's OpenGL ES route fails in a process that used headlessgl: the gl package's context
 * (GLX, under Xvfb) stays current on the main thread, and libglvnd allows one window-system API
 * per thread, so Dawn's eglMakeCurrent fails with EGL_BAD_ACCESS.
 */
const HEADLESSGL_BLOCKS_EGL = '; this process has loaded headlessgl (the gl package), whose GL context blocks EGL on this thread: run webgpu and headlessgl in separate processes'

/** Whether the gl package (headlessgl) has been loaded in this process. */
const headlessGLLoaded = (): boolean => {
  try {
    return Object.keys(require.cache).some(k => /[\\/]node_modules[\\/]gl[\\/]/.test(k))
  } catch {
    return false
  }
}

/** gpu.js assigns a plain function to `onuncapturederror`; older Dawn bindings refuse it, so an ordinary property stands in. */
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
