import type { ConcreteMode } from './backend'
import { gpujsModule } from './gpujs'
import { Env, enableRelaxedSimd, environment } from '../platform'

/**
 * What a backend's kernels can do beyond stock gpu.js: found once, when the backend is created, so
 * two backends in one process never disagree and a test can ask for less (`createBackendOf`'s
 * last argument) instead of flipping process-wide switches.
 *
 * @example
 * const be = createBackendOf('webasm', 'test', 1, undefined, { tileGroups: 1 })
 * be.capabilities // { tileGroups: 1, directStores: true, fusedMultiplyAdd: true } on patched gpu.js
 */
export interface Capabilities {
  /**
   * Lane-column groups a convolution tile may return (1-3): Array(4 × groups) values per thread,
   * which only the code-generator patch teaches gpu.js's WebAssembly backend (patch part 5).
   */
  readonly tileGroups: number
  /** Tile kernels store straight into row-major results (gpu.js `outputLayout`, patch part 7). */
  readonly directStores: boolean
  /**
   * Reductions (convolutions, matmul) fuse each multiply-add into one relaxed-SIMD instruction
   * (gpu.js `fusedMultiplyAdd`, patch part 11): webasm where the engine has relaxed SIMD (Node:
   * V8's flag, set by `enableRelaxedSimd`; Chromium: shipped), unless RXCEPTION_FMA=0. One rounding
   * per multiply-add instead of two, so results differ from the other backends' in the last bits.
   */
  readonly fusedMultiplyAdd: boolean
}

let patchExports: Record<string, unknown> | undefined
/** Whether the gpu.js that kernels are built from exports `name` from its WebAssembly code generator (a part of the patch). */
const patchHas = (name: string): boolean => {
  if (patchExports === undefined) {
    try {
      patchExports = gpujsModule<Record<string, unknown>>('src/backend/web-assembly/function-node.js')
    } catch {
      patchExports = {}
    }
  }
  return typeof patchExports[name] === 'function'
}

/**
 * Whether this gpu.js stores Array(n) returns by layout, 3-D ones included (patch parts 7 and 14):
 * a gpu.js patched before part 14 would refuse the convolution's column blocks, so it runs without
 * direct stores at all.
 */
const layoutStores = (): boolean => {
  if (!patchHas('outputLayoutError')) return false
  const check = patchExports!.outputLayoutError as (layout: unknown, output: number[], n: number) => string | null
  return check({ rowStride: 0, layerStride: 2, componentOffsets: [0, 4] }, [2, 1, 2], 2) === null
}

/** Whether webasm kernels can fuse multiply-adds here (see Capabilities.fusedMultiplyAdd). */
const relaxedSimd = (env: Env): boolean => {
  const flag = (env.RXCEPTION_FMA ?? '').trim()
  if (flag !== '' && flag !== '0' && flag !== '1') throw new Error(`RXCEPTION_FMA: expected 0 (off) or 1 (on where supported), got '${flag}'`)
  if (flag === '0') return false
  try {
    const kernel = gpujsModule<{ WebAssemblyKernel?: { isRelaxedSimdSupported?: boolean } }>('src/backend/web-assembly/kernel.js').WebAssemblyKernel
    if (!kernel || !('isRelaxedSimdSupported' in kernel)) return false
    if (!kernel.isRelaxedSimdSupported) enableRelaxedSimd()
    return kernel.isRelaxedSimdSupported === true
  } catch {
    return false
  }
}

/**
 * The most a backend of `mode` can do here, lowered by `limit` (a test's request); a request for
 * more than the backend has is refused.
 *
 * @example
 * capabilitiesOf('cpu') // { tileGroups: 1, directStores: false, fusedMultiplyAdd: false }
 */
export const capabilitiesOf = (mode: ConcreteMode, limit: Partial<Capabilities> = {}, env: Env = environment()): Capabilities => {
  const patched = mode === 'webasm'
  const most: Capabilities = {
    tileGroups: patched && patchHas('arrayReturnSize') ? 3 : 1,
    directStores: patched && layoutStores(),
    fusedMultiplyAdd: patched && relaxedSimd(env),
  }
  const groups = limit.tileGroups ?? most.tileGroups
  if (!Number.isInteger(groups) || groups < 1 || groups > most.tileGroups) {
    throw new RangeError(`backend ${mode}: tile groups: expected an integer in [1, ${most.tileGroups}], got ${groups}`)
  }
  if (limit.directStores && !most.directStores) throw new RangeError(`backend ${mode}: direct tile stores need webasm with the patched gpu.js`)
  if (limit.fusedMultiplyAdd && !most.fusedMultiplyAdd) throw new RangeError(`backend ${mode}: fused multiply-add needs webasm with the patched gpu.js and relaxed SIMD (RXCEPTION_FMA is not 0)`)
  return { tileGroups: groups, directStores: limit.directStores ?? most.directStores, fusedMultiplyAdd: limit.fusedMultiplyAdd ?? most.fusedMultiplyAdd }
}

/**
 * Whether this gpu.js's WebAssembly kernels can run over an arena (patch part 15, relocatable
 * regions): a gpu.js patched before it would ignore the setting and copy as before.
 *
 * @example
 * relocatableRegions() // true with this package's patch applied
 */
export const relocatableRegions = (): boolean => {
  try {
    const kernel = gpujsModule<{ WebAssemblyKernel?: { prototype: Record<string, unknown> } }>('src/backend/web-assembly/kernel.js')
    return typeof kernel.WebAssemblyKernel?.prototype.computeArenaLayout === 'function'
  } catch {
    return false
  }
}
