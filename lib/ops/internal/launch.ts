import { GPU } from '../../backend/gpujs'
import { Backend, Kernel, KernelSettings } from '../../backend'
import { flatOutput } from '../../backend/output'
import { tracedCall } from '../../backend/kernel-trace'
import { kernelLimit } from './split'
import type { TileLayout } from './tile'

export { MAX_KERNEL_ELEMENTS } from './split'

/**
 * Compiles (once per key) and runs a kernel given as source text, returning its output as one flat
 * Float32Array of `length` values. Source text lets each op specialise its body per shape and
 * option (sizes inline as this.constants.X, loop bounds constant) without a function per variant.
 */
export interface KernelSpec {
  /** Unique per op, variant and shape: the cache key. */
  readonly key: string
  readonly source: string
  readonly output: readonly number[]
  readonly constants?: Record<string, number>
  readonly vec4?: boolean
  /** Values each thread returns (Array(n), 2 to 16; webasm needs the patch for n > 4). Overrides vec4. */
  readonly components?: number
  /**
   * Multiply-adds per output cell, for kernels that reduce over many products: webasm then splits
   * outputs across its workers from about 2^20 multiply-adds per worker instead of its default of
   * 4,096 cells (under which a kernel runs on the calling thread).
   */
  readonly cellWork?: number
  /**
   * Where an Array(n) return's components are stored (webasm with the code-generator patch only;
   * see `tileLayout`): component c of thread (x, y, z) at x + y·rowStride + z·layerStride +
   * componentOffsets[c] (layerStride 0 when absent: 2-D outputs).
   */
  readonly outputLayout?: TileLayout
  /**
   * A reduction whose `acc + a * b` may be fused into one multiply-add (webasm with relaxed SIMD:
   * one rounding instead of two; see Capabilities.fusedMultiplyAdd). Element-wise kernels leave it
   * off, so their results stay those of the other backends' expressions.
   */
  readonly fma?: boolean
  /** Helper functions the kernel calls (compiled along with it). */
  readonly functions?: readonly ((...args: number[]) => number)[]
}


export const launch = async (be: Backend, spec: KernelSpec, args: readonly unknown[], length: number): Promise<Float32Array> => {
  const limit = kernelLimit()
  args.forEach((a, i) => {
    if (a instanceof Float32Array && a.length > limit) {
      throw new RangeError(`${spec.key}: argument ${i} holds ${a.length} values, over the kernel limit of ${limit} (gpu.js indexes in float32): use a smaller batch`)
    }
  })
  if (length > limit) throw new RangeError(`${spec.key}: the output holds ${length} values, over the kernel limit of ${limit}: use a smaller batch`)
  const bytes = 4 * (length + args.reduce<number>((n, a) => n + (a instanceof Float32Array ? a.length : 1), 0))
  const build = (gpu: GPU, settings: KernelSettings) =>
    gpu.createKernel(spec.source, {
      ...settings,
      output: [...spec.output],
      constants: spec.constants ?? {},
      returnType: spec.components ? `Array(${spec.components})` : spec.vec4 ? 'Array(4)' : 'Number',
      // webasm (patched): outputs come back flat, without one view per row (or per cell)
      flatOutput: true,
      ...(spec.cellWork ? { threadMinCells: Math.max(4, Math.ceil(2 ** 20 / spec.cellWork)) } : {}),
      ...(spec.outputLayout ? { outputLayout: spec.outputLayout } : {}),
      ...(spec.functions ? { functions: [...spec.functions] } : {}),
      ...(spec.fma && be.capabilities.fusedMultiplyAdd ? { fusedMultiplyAdd: true } : {}),
    } as any)
  const run = (kernel: Kernel, values: readonly unknown[]) => tracedCall(be, spec.key, () => kernel(...values)).then(r => flatOutput(r, length))
  const arena = be.arena
  if (!arena) return run(be.kernel(spec.key, build, bytes), args)
  // resident tensors: the arguments that do not live in the arena get a temporary region each
  const copied = args.filter((a): a is Float32Array => a instanceof Float32Array && arena.offsetOf(a, 0) < 0)
  const regions = [4 * length, ...copied.map(a => 4 * a.length)]
  if (!arena.due(regions)) return run(be.kernel(spec.key, build, bytes), args)
  // the collection that frees dead tensors runs before a call, never inside it; scratch arguments
  // may be refilled while it waits (see scratch.ts), so they are copied first
  const held = args.map(a => (copied.includes(a as Float32Array) ? (a as Float32Array).slice() : a))
  await arena.collect()
  // still no room (the live tensors fill the arena's 4 GiB): this call copies through a memory of its own, as without the arena
  return arena.fits(regions)
    ? run(be.kernel(spec.key, build, bytes), held)
    : run(be.kernel(`${spec.key}|own-memory`, (gpu, settings) => build(gpu, { ...settings, arena: undefined }), bytes), held)
}

/** A cache key from an op name and any numbers/strings that change the compiled code. */
export const keyOf = (op: string, ...parts: readonly (number | string | boolean)[]): string => `${op}(${parts.join(',')})`
