import type { ConcreteMode } from './backend'
import { gpujsModule } from './gpujs'

/**
 * What a backend's kernels can do beyond stock gpu.js: found once, when the backend is created, so
 * two backends in one process never disagree and a test can ask for less (`createBackendOf`'s
 * last argument) instead of flipping process-wide switches.
 *
 * @example
 * const be = createBackendOf('webasm', 'test', 1, undefined, { tileGroups: 1 })
 * be.capabilities // { tileGroups: 1, directStores: true } on patched gpu.js
 */
export interface Capabilities {
  /**
   * Lane-column groups a convolution tile may return (1-3): Array(4 × groups) values per thread,
   * which only the code-generator patch teaches gpu.js's WebAssembly backend (patch part 5).
   */
  readonly tileGroups: number
  /** Tile kernels store straight into row-major results (gpu.js `outputLayout`, patch part 7). */
  readonly directStores: boolean
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
 * The most a backend of `mode` can do here, lowered by `limit` (a test's request); a request for
 * more than the backend has is refused.
 *
 * @example
 * capabilitiesOf('cpu') // { tileGroups: 1, directStores: false }
 */
export const capabilitiesOf = (mode: ConcreteMode, limit: Partial<Capabilities> = {}): Capabilities => {
  const patched = mode === 'webasm'
  const most: Capabilities = {
    tileGroups: patched && patchHas('arrayReturnSize') ? 3 : 1,
    directStores: patched && patchHas('outputLayoutError'),
  }
  const groups = limit.tileGroups ?? most.tileGroups
  if (!Number.isInteger(groups) || groups < 1 || groups > most.tileGroups) {
    throw new RangeError(`backend ${mode}: tile groups: expected an integer in [1, ${most.tileGroups}], got ${groups}`)
  }
  if (limit.directStores && !most.directStores) throw new RangeError(`backend ${mode}: direct tile stores need webasm with the patched gpu.js`)
  return { tileGroups: groups, directStores: limit.directStores ?? most.directStores }
}
