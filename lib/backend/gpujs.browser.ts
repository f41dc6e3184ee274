/**
 * The browser's variant of `./gpujs.ts`: the same patched gpu.js sources, imported statically so the
 * bundler takes them in (gpu.js's `browser` field names its stock `dist/` build, which lacks the
 * code-generator patch: wide tiles fail there with "does not yet support returning Array(8)").
 * bin/browser-bundle.cjs resolves these paths to the gpu.js that `npm ci` patched.
 *
 * @example
 * const gpu = new GPU({ mode: 'webasm' })
 */
import * as functionNode from 'gpu.js/src/backend/web-assembly/function-node.js'
import * as workerPool from 'gpu.js/src/backend/web-assembly/worker-pool.js'
import * as wasmKernel from 'gpu.js/src/backend/web-assembly/kernel.js'
import * as index from 'gpu.js/src/index.js'
import type { GPU as GPUInstance, GPUClass } from './gpujs'

export type { GPUClass } from './gpujs'
/** A gpu.js instance, as far as rxception uses it. */
export type GPU = GPUInstance

const MODULES: Record<string, unknown> = {
  'src/index.js': index,
  'src/backend/web-assembly/worker-pool.js': workerPool,
  'src/backend/web-assembly/function-node.js': functionNode,
  'src/backend/web-assembly/kernel.js': wasmKernel,
}

/** Where the gpu.js in use lives: inside the bundle. */
export const GPUJS_ROOT = 'gpu.js (bundled)'

/** A module of the bundled gpu.js, by its path inside the package (only those the library uses). */
export const gpujsModule = <T>(file: string): T => {
  const m = MODULES[file]
  if (!m) throw new Error(`gpu.js module '${file}' is not in the browser bundle (lib/backend/gpujs.browser.ts lists them)`)
  return m as T
}

/** gpu.js's GPU class. */
export const GPU: GPUClass = (index as unknown as { GPU: GPUClass }).GPU
