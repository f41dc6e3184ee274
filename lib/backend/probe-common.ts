/**
 * What a backend's probe found: whether it runs here, on what, and whether that is a software
 * rasteriser (which `auto` never prefers over webasm).
 *
 * @example
 * const p: Probe = { available: true, device: 'NVIDIA H100', software: false }
 */
export interface Probe {
  readonly available: boolean
  readonly device: string
  readonly software: boolean
  readonly reason?: string
}

/** Renderer and adapter names of software rasterisers. */
export const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i

/** A probe that found nothing, and why. */
export const unavailable = (reason: string): Probe => ({ available: false, device: 'none', software: false, reason })

/** An adapter's name from what it reports (Dawn on OpenGL ES names only the renderer, in `device`). */
export const adapterName = (adapter: { info?: Record<string, unknown> }): string => {
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

/** A WebGL context's renderer (unmasked where the browser allows), and whether it is software. */
export const glRenderer = (gl: { RENDERER: number; getExtension(name: string): any; getParameter(p: number): unknown }): Probe => {
  const info = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_RENDERER_WEBGL: number } | null
  const device = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
  return { available: true, device, software: SOFTWARE.test(device) }
}
