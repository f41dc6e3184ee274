import { Tile, perCell, perGroup } from './tile'

/**
 * One reduction of a tile kernel (see tile.ts) in the form V8's optimizing compiler keeps in
 * registers, for backends that fuse multiply-adds (webasm with relaxed SIMD):
 *
 *  - every offset the loop reads at is a local that steps by a constant (`p0 = p0 + 1`), so the
 *    values it starts from (a table read through `Math.floor`, products of sizes) are computed once,
 *    before the loop. Written as `x[r0 + ci]`, TurboFan scheduled the start's float-to-int
 *    conversion next to its use, inside the innermost loop: 4 conversions with range checks per
 *    step (read from the machine code with `node --print-wasm-code`);
 *  - each row value is read once per step into a local and multiplied into every group: gpu.js
 *    splats the local and V8 merges equal splats, where a read per product (`x[p0] * wv1`) is a
 *    load per product that V8 does not merge, and the extra live vectors spilled to the stack;
 *  - one reduction index per step: with fused multiply-adds the sum of a cell is the products in
 *    index order either way, so the results are bit for bit those of the two-products-per-step loop.
 *
 * Measured in isolated forward-kernel runs (2 threads, 17×17 inputs, with patch part 12, which keeps
 * the stepping locals in i32, and part 13): 1×1 1024→384 11.1 → 5.7 ms, 1×7 192→224 10.2 → 4.4 ms,
 * 1×1 384→1088 14.7 → 7.5 ms.
 *
 * @example
 * runningReduction(tile, { counter: 'ci', count: 'this.constants.CI', acc: 's', rows: 'x', rowStarts: ['r0', 'r1', 'r2', 'r3'],
 *   rowStep: '1', lanes: 'w', laneStart: 'wu', lane: 'co', laneStep: 'this.constants.CO' })
 */
export interface RunningReduction {
  /** The loop counter's name (unused in the body: the offsets step instead). */
  readonly counter: string
  /** How many steps (an expression). */
  readonly count: string
  /** The accumulators' prefix: `acc${row}_${group}`, declared by the caller. */
  readonly acc: string
  /** The array read once per row and step (a lane-uniform value). */
  readonly rows: string
  /** Where each of the 4 rows starts in `rows` (lane-uniform expressions). */
  readonly rowStarts: readonly [string, string, string, string]
  /** How far each row's offset moves per step. */
  readonly rowStep: string
  /** The array read as a vector of 4 adjacent lanes per group and step. */
  readonly lanes: string
  /** Where the lane reads start in `lanes` for lane 0 of group 0 (lane-uniform). */
  readonly laneStart: string
  /** The lane's own column (`this.thread.x`'s local). */
  readonly lane: string
  /** How far the lane reads move per step. */
  readonly laneStep: string
}

/** `+ g * SPAN` for group g > 0: the column offset of a tile's group. */
export const groupSpan = (g: number): string => g === 0 ? '' : ` + ${g} * this.constants.SPAN`

/**
 * The loop's source (declares its offset locals, so call it once per block).
 *
 * @example
 * const loop = runningReduction(tile, reduction) // inside a kernel body whose accumulators exist
 */
export const runningReduction = (tile: Tile, r: RunningReduction): string => `let ${r.acc}p0 = ${r.rowStarts[0]};
      let ${r.acc}p1 = ${r.rowStarts[1]};
      let ${r.acc}p2 = ${r.rowStarts[2]};
      let ${r.acc}p3 = ${r.rowStarts[3]};
      let ${r.acc}q = ${r.laneStart};
      for (let ${r.counter} = 0; ${r.counter} < ${r.count}; ${r.counter}++) {
        ${perGroup(tile, g => `const ${r.acc}v${g} = ${r.lanes}[${r.acc}q + ${r.lane}${groupSpan(g)}];`, '\n        ')}
        ${[0, 1, 2, 3].map(i => `const ${r.acc}u${i} = ${r.rows}[${r.acc}p${i}];`).join(' ')}
        ${perCell(tile, (row, g) => `${r.acc}${row}_${g} += ${r.acc}u${row} * ${r.acc}v${g};`, '\n        ')}
        ${[0, 1, 2, 3].map(i => `${r.acc}p${i} = ${r.acc}p${i} + ${r.rowStep};`).join(' ')}
        ${r.acc}q = ${r.acc}q + ${r.laneStep};
      }`

/**
 * The most lane groups a running reduction's tile should have: 4 rows × 2 groups is 8 accumulators,
 * 2 lane vectors and 4 splats, within the 15 vector registers V8 allocates on x64 (no spill in the
 * machine code); 3 groups would need 19. In isolated forward-kernel runs 2 groups beat 3 on three
 * of the four Inception shapes where both apply (1×1 1024→384 at 17×17: 6.9 against 8.5 ms; 1×1
 * 384→96 at 35×35 was 3.1 against 2.9).
 */
export const RUNNING_GROUPS = 2
