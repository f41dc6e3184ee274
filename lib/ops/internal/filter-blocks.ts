import { Tile } from './tile'

/** The filter sizes that decide the blocking (a convolution's geometry has them all). */
export interface FilterShape {
  readonly kh: number
  readonly kw: number
  /** Input channels. */
  readonly c: number
  /** Output channels. */
  readonly cout: number
}

/** A column block's filter should stay in this core's L2 cache (2 MiB here) beside the input rows it meets. */
const BLOCK_FILTER_BYTES = 512 * 1024

/** Narrower blocks than this read their input rows too often for the cache to pay (and 1024→808 would split 101 ways). */
const MIN_BLOCK_COLUMNS = 32

/**
 * How many column blocks the forward kernel runs its output channels in: 1 (the whole filter per
 * row tile) unless the filter is over BLOCK_FILTER_BYTES, then the fewest blocks of whole quads
 * (4 × groups columns), at least MIN_BLOCK_COLUMNS wide, whose filter slice is at most that; where
 * none is, the narrowest such blocks. The threads then finish every row of one block of output
 * channels before the next block, so the block's filter stays in cache; in one pass over
 * all the channels per 4 rows, a filter larger than the L2 cache is read from memory again for
 * every 4 rows. Only with direct stores (the layout puts each block's columns in place).
 */
export const filterBlocks = (g: FilterShape, tile: Tile): number => {
  if (!tile.layout) return 1
  const bytes = 4 * g.kh * g.kw * g.c * g.cout
  if (bytes <= BLOCK_FILTER_BYTES) return 1
  const quad = 4 * tile.groups
  // blocks of whole quads only (a width that is not a multiple of them stays one block)
  let most = 1
  for (let blocks = 2; blocks <= g.cout / Math.max(quad, MIN_BLOCK_COLUMNS); blocks++) {
    if (g.cout % blocks !== 0 || (g.cout / blocks) % quad !== 0) continue
    most = blocks
    if (bytes / blocks <= BLOCK_FILTER_BYTES) return blocks
  }
  return most
}

/** `tile` over one of `blocks` column blocks: thread.z picks the block, stored in place (outputLayout's layerStride). */
export const blockedTile = (tile: Tile, cout: number, blocks: number): Tile => {
  const width = cout / blocks
  const span = width / tile.groups
  return {
    groups: tile.groups,
    span,
    layout: { rowStride: 4 * cout, layerStride: width, componentOffsets: Array.from({ length: 4 * tile.groups }, (_, i) => (i % 4) * cout + Math.floor(i / 4) * span) },
  }
}
