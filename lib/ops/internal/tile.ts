import { Backend } from '../../backend'

/**
 * Register tiles for the convolution kernels. A thread computes 4 rows (output
 * positions, or filter rows) for each of `groups` lane columns: its 4 SIMD lanes hold 4 adjacent
 * columns, and group g adds `g * span` to them. Each weight (or dy) vector it loads then feeds 4
 * multiply-adds and each row value it loads feeds `groups` of them, against 4 and 1 with one group:
 * measured 1.4-2.1× on a prototype 1×1 17²×1024→384 kernel (patched webasm, 2 threads, against one
 * group with and without channel pairs; 3 groups best).
 *
 * More than one group returns Array(4 × groups) values per thread, which only the code-generator
 * patch (patches/gpu.js+2.24.1.patch) teaches gpu.js's WebAssembly backend; every other backend,
 * and webasm on stock gpu.js, runs one group (the Array(4) kernels). The sums of every output are
 * formed in the same order whatever the tile, so results are bit for bit the same.
 */
export interface Tile {
  /** Lane-column groups per thread (1-3). */
  readonly groups: number
  /** Columns between groups: the kernel's thread.x runs over [0, span). */
  readonly span: number
}

let maxGroups = 3

/**
 * Caps the groups per tile (tests compare tiles; 1 restores the Array(4) kernels). Returns a
 * function that restores the previous cap.
 *
 * @example
 * const restore = setMaxTileGroups(1)
 * try { ... } finally { restore() }
 */
export const setMaxTileGroups = (groups: number): (() => void) => {
  if (!Number.isInteger(groups) || groups < 1 || groups > 3) throw new RangeError(`tile groups: expected 1, 2 or 3, got ${groups}`)
  const previous = maxGroups
  maxGroups = groups
  return () => {
    maxGroups = previous
  }
}

let patched: boolean | undefined
/** Whether the installed gpu.js carries the patch's Array(n > 4) returns (an installed rxception may run stock gpu.js). */
const wideReturns = (): boolean => {
  if (patched === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      patched = typeof require('gpu.js/src/backend/web-assembly/function-node.js').arrayReturnSize === 'function'
    } catch {
      patched = false
    }
  }
  return patched
}

/**
 * The widest tile a backend runs for `columns` lane columns: groups must split the columns into
 * spans of whole quads (so a quad never straddles two groups).
 *
 * @example
 * const tile = tileFor(backend, 384) // webasm, patched: { groups: 3, span: 128 }
 */
export const tileFor = (be: Backend, columns: number): Tile => {
  const most = be.mode === 'webasm' && wideReturns() ? maxGroups : 1
  for (let groups = most; groups > 1; groups--) {
    if (columns % (4 * groups) === 0) return { groups, span: columns / groups }
  }
  return { groups: 1, span: columns }
}

/** `f(g)` for each group, joined: the per-group lines of a kernel source. */
export const perGroup = (tile: Tile, f: (g: number) => string, sep = '\n'): string =>
  Array.from({ length: tile.groups }, (_, g) => f(g)).join(sep)

/** `f(r, g)` for the 4 rows of each group, in the order a tile kernel returns them (group-major). */
export const perCell = (tile: Tile, f: (r: number, g: number) => string, sep = ' '): string =>
  Array.from({ length: tile.groups * 4 }, (_, i) => f(i % 4, Math.floor(i / 4))).join(sep)

/** The settings that make `launch` compile a tile kernel: Array(4 × groups) returns. */
export const tileReturn = (tile: Tile): { vec4: true; components?: number } =>
  tile.groups === 1 ? { vec4: true } : { vec4: true, components: 4 * tile.groups }

/**
 * Row-major [rows][columns] from a tile kernel's output: thread (x, y) returned rows 4y..4y+3 of
 * columns x + g·span, group-major. With one group (span = columns) this is the Array(4) layout of
 * any kernel whose thread computes 4 rows.
 *
 * @example
 * const y = untile(blocked, positions, cout, tileFor(backend, cout))
 */
export const untile = (blocked: Float32Array, rows: number, columns: number, tile: Tile): Float32Array => {
  const out = new Float32Array(rows * columns)
  const { groups, span } = tile
  const cell = 4 * groups
  for (let b = 0; b * 4 < rows; b++) {
    const lanes = Math.min(4, rows - 4 * b)
    for (let j = 0; j < lanes; j++) {
      // one output row at a time, written in order
      const dst = (4 * b + j) * columns
      for (let g = 0; g < groups; g++) {
        const src = b * span * cell + g * 4 + j
        for (let x = 0; x < span; x++) out[dst + g * span + x] = blocked[src + x * cell]!
      }
    }
  }
  return out
}
