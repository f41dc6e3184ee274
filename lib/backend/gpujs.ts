import { existsSync } from 'fs'
import * as path from 'path'

/**
 * The gpu.js that every kernel is built from, and the one place that loads it. In the package it is
 * `dist/vendor/gpu.js`: gpu.js 2.24.1's sources with the code-generator patch (patches/), copied at
 * build time by bin/vendor-gpujs.cjs, so an installed rxception runs the kernels the checkout runs
 * and does not depend on the gpu.js package (whose optional `gl` dependency compiles ANGLE from
 * source on install). In a checkout it is node_modules/gpu.js, patched by `npm ci`'s postinstall.
 *
 * @example
 * const gpu = new GPU({ mode: 'webasm' })
 */
const VENDORED = path.join(__dirname, '..', '..', 'vendor', 'gpu.js')

/** Where the gpu.js in use lives (its package folder). */
export const GPUJS_ROOT: string = existsSync(path.join(VENDORED, 'package.json')) ? VENDORED : path.dirname(require.resolve('gpu.js/package.json'))

/**
 * A module of the gpu.js in use, by its path inside the package.
 *
 * @example
 * const { WebAssemblyWorkerPool } = gpujsModule<{ WebAssemblyWorkerPool: unknown }>('src/backend/web-assembly/worker-pool.js')
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const gpujsModule = <T>(file: string): T => require(path.join(GPUJS_ROOT, file)) as T

/**
 * A gpu.js instance, as far as rxception uses it (typed here: the package ships gpu.js's sources,
 * not its package, so its declarations are not there to import).
 */
export interface GPU {
  createKernel(source: string, settings: object): unknown
  destroy(): Promise<void> | void
}

/** gpu.js's GPU class, as far as rxception uses it. */
export interface GPUClass {
  new (settings: { readonly mode: string }): GPU
  readonly isWebAssemblySupported: boolean
}

/** gpu.js's GPU class, from the gpu.js in use. */
export const GPU: GPUClass = gpujsModule<{ GPU: GPUClass }>('src/index.js').GPU
