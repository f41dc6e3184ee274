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
  /** Where the kernel stores its values (see `tileLayout`); absent: [cell][4 × groups], untiled on the host. */
  readonly layout?: TileLayout
}

/**
 * The widest tile a backend runs for `columns` lane columns, at most `limit` groups: groups must
 * split the columns into spans of whole quads (so a quad never straddles two groups).
 *
 * @example
 * const tile = tileFor(backend, 384) // webasm, patched: { groups: 3, span: 128 }
 */
export const tileFor = (be: Backend, columns: number, limit = Infinity): Tile => {
  const most = Math.min(be.capabilities.tileGroups, limit)
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

/** The settings that make `launch` compile a tile kernel: Array(4 × groups) returns, stored with the tile's layout when it has one. */
export const tileReturn = (tile: Tile): { vec4: true; components?: number; outputLayout?: TileLayout } => ({
  vec4: true,
  ...(tile.groups === 1 ? {} : { components: 4 * tile.groups }),
  ...(tile.layout ? { outputLayout: tile.layout } : {}),
})

/** The part of a tile kernel's cache key that changes its code: groups, and whether it stores directly. */
export const tileKey = (tile: Tile): string => `${tile.groups}${tile.layout ? 'd' : ''}`

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

/** Where a tile kernel stores its values: gpu.js's `outputLayout` setting (the patch's part 7). */
export interface TileLayout {
  readonly rowStride: number
  readonly componentOffsets: readonly number[]
  /** Added per thread.z (a 3-D output: column blocks, see conv2d's filterBlocks). */
  readonly layerStride?: number
}

/**
 * The layout that makes a tile kernel store its values straight into the row-major
 * [rows][columns] matrix (thread (x, y), row r of group g: column x + g·span of row 4y + r), so no
 * `untile` pass runs on the host: webasm with the patch, where 4 lanes' values of one component are
 * also one v128 store instead of 4 scalar ones. Undefined elsewhere: those kernels return
 * [cell][4 × groups] and the caller untiles.
 *
 * @example
 * const layout = tileLayout(backend, { groups: 3, span: 128 }, 384)
 */
export const tileLayout = (be: Backend, tile: Tile, columns: number): TileLayout | undefined =>
  be.capabilities.directStores
    ? { rowStride: 4 * columns, componentOffsets: Array.from({ length: 4 * tile.groups }, (_, i) => (i % 4) * columns + Math.floor(i / 4) * tile.span) }
    : undefined

/**
 * `tile` with the layout the backend stores it in (see `tileLayout`): what a kernel is compiled and
 * read back with.
 *
 * @example
 * const tile = withLayout(backend, tileFor(backend, cout)) // then ...tileReturn(tile), tileRows(out, positions, tile)
 */
export const withLayout = (be: Backend, tile: Tile): Tile => {
  const layout = tileLayout(be, tile, tile.groups * tile.span)
  return layout ? { ...tile, layout } : tile
}

/**
 * A tile kernel's output as row-major [rows][columns]: as it is when the kernel stored it with the
 * tile's layout (the rows past `rows`, padding of the last tile, dropped), else untiled. `columns`
 * is groups · span unless the layout stores column blocks (conv2d's blocked forward: all of them).
 *
 * @example
 * const y = tileRows(await launch(be, spec, args, length), positions, tile)
 */
export const tileRows = (out: Float32Array, rows: number, tile: Tile, columns = tile.groups * tile.span): Float32Array => {
  if (!tile.layout && columns !== tile.groups * tile.span) throw new RangeError(`tileRows: ${columns} columns from an untiled ${tile.groups} × ${tile.span} tile (only a layout stores column blocks)`)
  return !tile.layout ? untile(out, rows, columns, tile) : out.length === rows * columns ? out : out.subarray(0, rows * columns)
}
