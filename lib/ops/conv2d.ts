import { Backend } from '../backend'
import { Tensor, shapeToString } from '../tensor'
import { launch, keyOf } from './internal/launch'
import { reduceRows } from './internal/reduce'
import { Padding, Window2D, padNHWC, window2d } from './internal/padding'
import { stridePhases, table, tapReach, windowStarts, withZeroRow } from './internal/windows'
import { batchSlice, byBatch, overLimit, sliceRanges, windowPerSample } from './internal/split'
import { cropTaps, embedTaps, liveTaps } from './internal/dead-taps'
import { Tile, perCell, perGroup, tileFor, tileKey, tileReturn, tileRows, withLayout } from './internal/tile'
import { scratch } from './internal/scratch'
import { RUNNING_GROUPS, groupSpan as span, runningReduction } from './internal/running-offsets'
import { blockedTile, filterBlocks } from './internal/filter-blocks'
import { plainView } from '../backend/arena'
import { tapsOutIn } from './internal/taps-out-in'

/**
 * 2-D convolution, NHWC input, HWIO filter [kh, kw, cin, cout], TensorFlow padding. Three kernels,
 * each computing a register tile per thread (4 rows × up to 3 groups of 4 SIMD lanes over channels,
 * see internal/tile.ts), so each filter (or dy) vector read feeds 4 multiply-adds per group:
 *  - forward: rows are output positions, the input window read straight from the padded input;
 *  - input gradient: rows are input positions; each tap either hits an output position or
 *    points at an all-zero row appended to dy, so the inner loop has no branches;
 *  - filter gradient: rows are (ky, kx, cin) filter rows, reduced over every output position.
 *
 * @example
 * const opts: Conv2DOptions = { stride: 2, padding: 'valid', relu: true }
 */
export interface Conv2DOptions {
  readonly stride?: number
  readonly padding?: Padding
  /** Fused epilogue: max(0, y) after the bias. */
  readonly relu?: boolean
}

/**
 * A convolution's window geometry (sizes and TensorFlow padding per axis) plus its output
 * channels and positions.
 *
 * @example
 * const g = convGeometry([8, 35, 35, 96], [3, 3, 96, 96], { padding: 'same' }, 'conv')
 */
export interface ConvGeometry extends Window2D {
  readonly cout: number
  /** Number of output positions n·out_h·out_w. */
  readonly positions: number
}

/**
 * The output size and padding of a convolution, checked (errors name `what`).
 *
 * @example
 * const { outH, outW } = convGeometry(x.shape, w.shape, { stride: 2 }, 'stem conv')
 */
export const convGeometry = (x: readonly number[], w: readonly number[], opts: Conv2DOptions = {}, what = 'conv2d'): ConvGeometry => {
  if (w.length !== 4) throw new RangeError(`${what}: filter must be HWIO [kh, kw, cin, cout], got ${shapeToString(w)}`)
  const [kh, kw, cin, cout] = w as [number, number, number, number]
  const g = window2d(x, kh, kw, opts.stride ?? 1, opts.padding ?? 'valid', what)
  if (g.c !== cin) {
    throw new RangeError(`${what}: input ${shapeToString(x)} has ${g.c} channels, filter ${shapeToString(w)} expects ${cin}`)
  }
  return { ...g, cout, positions: g.n * g.y.out * g.x.out }
}

/**
 * The reduction over input channels. Where the backend fuses multiply-adds, the running form V8
 * keeps in registers (internal/running-offsets.ts: one channel per step, the same sums). Else two
 * channels per step when their count is even: two
 * independent products per accumulator shorten the dependency chain (5-15% faster in isolated kernel runs on a noisy machine).
 * Each group's weight vectors are loaded once and feed the 4 rows.
 */
const channelLoop = (be: Backend, pairs: boolean, tile: Tile): string => be.capabilities.fusedMultiplyAdd
  ? runningReduction(tile, {
    counter: 'ci', count: 'this.constants.CI', acc: 's', rows: 'x', rowStarts: ['r0', 'r1', 'r2', 'r3'], rowStep: '1',
    lanes: 'w', laneStart: 'wu', lane: 'co', laneStep: 'this.constants.CO',
  })
  : pairs
  ? `for (let cp = 0; cp < this.constants.CI2; cp++) {
        ${perGroup(tile, g => `const wa${g} = w[wt + 2 * cp * this.constants.CO${span(g)}];
        const wb${g} = w[wt + (2 * cp + 1) * this.constants.CO${span(g)}];`, '\n        ')}
        ${perCell(tile, (r, g) => `s${r}_${g} += x[r${r} + 2 * cp] * wa${g} + x[r${r} + 2 * cp + 1] * wb${g};`, '\n        ')}
      }`
  : `for (let ci = 0; ci < this.constants.CI; ci++) {
        ${perGroup(tile, g => `const wv${g} = w[wt + ci * this.constants.CO${span(g)}];`, '\n        ')}
        ${perCell(tile, (r, g) => `s${r}_${g} += x[r${r} + ci] * wv${g};`, '\n        ')}
      }`

/** `let s0_0 = 0; ...`: one accumulator per tile cell. */
const accumulators = (tile: Tile, name = 's'): string => perCell(tile, (r, g) => `let ${name}${r}_${g} = 0;`)

/** Per tap, the row bases r0..r3 and the filter column wt are computed once, outside the channel loop. */
const forwardSource = (be: Backend, relu: boolean, pairs: boolean, tile: Tile, blocked: boolean): string => `function (x, w, bias, base) {
  const co = ${blocked ? 'this.thread.z * this.constants.BW + this.thread.x' : 'this.thread.x'};
  ${accumulators(tile)}
  const b0 = Math.floor(base[this.thread.y * 4]);
  const b1 = Math.floor(base[this.thread.y * 4 + 1]);
  const b2 = Math.floor(base[this.thread.y * 4 + 2]);
  const b3 = Math.floor(base[this.thread.y * 4 + 3]);
  for (let ky = 0; ky < this.constants.KH; ky++) {
    for (let kx = 0; kx < this.constants.KW; kx++) {
      const t = (ky * this.constants.WP + kx) * this.constants.CI;
      const wu = (ky * this.constants.KW + kx) * this.constants.CI * this.constants.CO;
      const wt = wu + co;
      const r0 = b0 + t;
      const r1 = b1 + t;
      const r2 = b2 + t;
      const r3 = b3 + t;
      ${channelLoop(be, pairs, tile)}
    }
  }
  ${perGroup(tile, g => `const bv${g} = bias[co${span(g)}];`, '\n  ')}
  return [${perCell(tile, (r, g) => relu ? `Math.max(s${r}_${g} + bv${g}, 0)` : `s${r}_${g} + bv${g}`, ', ')}];
}`

// loop counters count up by one (j++) and pairs are 2 * j: the code-generator patch keeps such
// counters in i32 (a `+= 2` counter decays to f32; see patches/README.md)
const constantsOf = (g: ConvGeometry, tile: Tile) => ({
  SPAN: tile.span, P: g.positions, HW: g.y.out * g.x.out, WO: g.x.out, HO: g.y.out, HP: g.hp, WP: g.wp, S: g.stride,
  KH: g.kh, KW: g.kw, CI: g.c, CO: g.cout, N: g.n, CI2: Math.floor(g.c / 2), CO2: Math.floor(g.cout / 2),
})

/**
 * The tile a convolution kernel runs with over `columns` lane columns: at most RUNNING_GROUPS
 * groups where the reductions are running ones (see running-offsets.ts), else the widest.
 */
const convTile = (be: Backend, columns: number): Tile =>
  withLayout(be, tileFor(be, columns, be.capabilities.fusedMultiplyAdd ? RUNNING_GROUPS : Infinity))

const shapeKey = (g: ConvGeometry) => [g.n, g.h, g.w, g.c, g.kh, g.kw, g.cout, g.stride, g.y.before, g.y.after, g.x.before, g.x.after] as const

/**
 * 2-D convolution, NHWC input and HWIO weights, TensorFlow's 'valid' and 'same' padding, optional bias and fused ReLU.
 *
 * @example
 * const y = await conv2d(x, w, undefined, { stride: 1, padding: 'same' }, backend) // x NHWC, w HWIO
 */
export const conv2d = async (x: Tensor, w: Tensor, bias: Tensor | undefined, opts: Conv2DOptions, be: Backend): Promise<Tensor> => {
  const g = convGeometry(x.shape, w.shape, opts)
  if (bias && (bias.rank !== 1 || bias.shape[0] !== g.cout)) {
    throw new RangeError(`conv2d: bias must be [${g.cout}], got ${shapeToString(bias.shape)}`)
  }
  return forward(g, x, w.data, bias, !!opts.relu, be)
}

/** `g` for `n` samples (a slice of the batch). */
const batchOf = (g: ConvGeometry, n: number): ConvGeometry => ({ ...g, n, positions: n * g.y.out * g.x.out })

const forward = async (g: ConvGeometry, x: Tensor, w: Float32Array, bias: Tensor | undefined, relu: boolean, be: Backend): Promise<Tensor> => {
  const live = liveTaps(g)
  if (live) return forward(live.g, x, cropTaps(w, g.kw, g.c * g.cout, live.y0, live.x0, live.g.kh, live.g.kw), bias, relu, be)
  const per = windowPerSample(g, g.cout)
  if (overLimit(g.n, per)) {
    return byBatch('conv2d', g.n, per, [g.n, g.y.out, g.x.out, g.cout], (s, c) => forward(batchOf(g, c), batchSlice(x, s, c), w, bias, relu, be))
  }
  const whole = convTile(be, g.cout)
  const blocks = filterBlocks(g, whole)
  const tile = blocks > 1 ? blockedTile(whole, g.cout, blocks) : whole
  const spec = {
    key: keyOf('conv2d', ...shapeKey(g), relu, tileKey(tile), blocks),
    source: forwardSource(be, relu, g.c % 2 === 0, tile, blocks > 1),
    fma: true,
    output: blocks > 1 ? [tile.span, Math.ceil(g.positions / 4), blocks] : [tile.span, Math.ceil(g.positions / 4)],
    constants: { ...constantsOf(g, tile), BW: g.cout / blocks },
    cellWork: 4 * tile.groups * g.kh * g.kw * g.c,
    ...tileReturn(tile),
  }
  const out = await launch(be, spec, [padNHWC(x, g, 0, 'conv.x'), w, bias?.data ?? new Float32Array(g.cout), windowStarts(g, g.c)], Math.ceil(g.positions / 4) * 4 * g.cout)
  return Tensor.adopt([g.n, g.y.out, g.x.out, g.cout], tileRows(out, g.positions, tile, g.cout))
}

/**
 * Input gradient. Thread rows are input positions q (unpadded), lanes input channels. For each tap,
 * `reach` holds the dy row (times cout) that the tap reaches from q, or the all-zero row P appended
 * to dy when the tap falls between strides or outside the output: no branches in the inner loop.
 * The filter arrives as [tap][cout][cin] (see `tapsOutIn`), so the 4 lanes read adjacent floats.
 */
const inputGradSource = (be: Backend, pairs: boolean, tile: Tile): string => `function (dyz, w, reach) {
  const ci = this.thread.x;
  ${accumulators(tile)}
  const q0 = this.thread.y * 4 * this.constants.T;
  for (let t = 0; t < this.constants.T; t++) {
    const wu = t * this.constants.CO * this.constants.CI;
    const wt = wu + ci;
    const d0 = Math.floor(reach[q0 + t]);
    const d1 = Math.floor(reach[q0 + this.constants.T + t]);
    const d2 = Math.floor(reach[q0 + 2 * this.constants.T + t]);
    const d3 = Math.floor(reach[q0 + 3 * this.constants.T + t]);
    ${be.capabilities.fusedMultiplyAdd
    ? runningReduction(tile, {
      counter: 'co', count: 'this.constants.CO', acc: 's', rows: 'dyz', rowStarts: ['d0', 'd1', 'd2', 'd3'], rowStep: '1',
      lanes: 'w', laneStart: 'wu', lane: 'ci', laneStep: 'this.constants.CI',
    })
    : pairs
    ? `for (let cp = 0; cp < this.constants.CO2; cp++) {
      ${perGroup(tile, g => `const wa${g} = w[wt + 2 * cp * this.constants.CI${span(g)}];
      const wb${g} = w[wt + (2 * cp + 1) * this.constants.CI${span(g)}];`, '\n      ')}
      ${perCell(tile, (r, g) => `s${r}_${g} += dyz[d${r} + 2 * cp] * wa${g} + dyz[d${r} + 2 * cp + 1] * wb${g};`, '\n      ')}
    }`
    : `for (let co = 0; co < this.constants.CO; co++) {
      ${perGroup(tile, g => `const wv${g} = w[wt + co * this.constants.CI${span(g)}];`, '\n      ')}
      ${perCell(tile, (r, g) => `s${r}_${g} += dyz[d${r} + co] * wv${g};`, '\n      ')}
    }`}
  }
  return [${perCell(tile, (r, g) => `s${r}_${g}`, ', ')}];
}`

/** The input gradient's kernel over `rows` input positions reaching `taps` taps each. */
const inputGradSpec = (be: Backend, g: ConvGeometry, tile: Tile, key: string, rows: number, taps: number) => ({
  key: `${key}/${tileKey(tile)}`,
  source: inputGradSource(be, g.cout % 2 === 0, tile),
  fma: true,
  output: [tile.span, Math.ceil(rows / 4)],
  constants: { ...constantsOf(g, tile), T: taps },
  cellWork: 4 * tile.groups * taps * g.cout,
  ...tileReturn(tile),
})

/**
 * The gradient of conv2d with respect to its input.
 *
 * @example
 * const dx = await conv2dInputGrad(x.shape, w, dy, { padding: 'same' }, backend)
 */
export const conv2dInputGrad = async (xShape: readonly number[], w: Tensor, dy: Tensor, opts: Conv2DOptions = {}, be: Backend): Promise<Tensor> =>
  Tensor.adopt(xShape, await inputGrad(convGeometry(xShape, w.shape, opts, 'conv2d input gradient'), w.data, dy, be))

const inputGrad = async (g: ConvGeometry, w: Float32Array, dy: Tensor, be: Backend): Promise<Float32Array> => {
  const live = liveTaps(g)
  if (live) return inputGrad(live.g, cropTaps(w, g.kw, g.c * g.cout, live.y0, live.x0, live.g.kh, live.g.kw), dy, be)
  const per = windowPerSample(g, g.cout)
  if (overLimit(g.n, per)) {
    return (await byBatch('conv2d input gradient', g.n, per, [g.n, g.h, g.w, g.c], async (s, c) => Tensor.adopt([c, g.h, g.w, g.c], await inputGrad(batchOf(g, c), w, batchSlice(dy, s, c), be)))).data
  }
  const q = g.n * g.h * g.w
  const tile = convTile(be, g.c)
  // the phases reuse dy and the filter across kernel calls: their own buffers, not scratch
  if (g.stride > 1) return phasedInputGrad(g, withZeroRow(dy.data, g.cout), tapsOutIn(w, g.kh * g.kw, g.c, g.cout), tile, be)
  const spec = inputGradSpec(be, g, tile, keyOf('conv2d.dx', ...shapeKey(g)), q, g.kh * g.kw)
  const args = [withZeroRow(dy.data, g.cout, 'conv.dy'), tapsOutIn(w, g.kh * g.kw, g.c, g.cout, 'conv.w'), tapReach(g, g.cout)]
  const out = await launch(be, spec, args, Math.ceil(q / 4) * 4 * g.c)
  return tileRows(out, q, tile)
}

/**
 * A strided convolution's input gradient, one stride phase at a time (see stridePhases): each
 * phase's positions visit only the taps that can reach an output, in the same order as the
 * unphased kernel, so a stride-2 layer does a quarter of the tap visits.
 */
const phasedInputGrad = async (g: ConvGeometry, dyz: Float32Array, filter: Float32Array, tile: Tile, be: Backend): Promise<Float32Array> => {
  const dx = new Float32Array(g.n * g.h * g.w * g.c)
  const perTap = g.cout * g.c
  for (const [i, phase] of stridePhases(g, g.cout).entries()) {
    const rows = phase.positions.length
    // no tap reaches these positions (their gradient is zero), or the phase holds only padding
    if (phase.taps.length === 0 || rows === 0) continue
    const taps = scratch('conv.w.phase', phase.taps.length * perTap)
    const filterView = plainView(filter) // within this synchronous copy only (see below)
    phase.taps.forEach((t, j) => taps.set(filterView.subarray(t * perTap, (t + 1) * perTap), j * perTap))
    const spec = inputGradSpec(be, g, tile, keyOf('conv2d.dx.phase', ...shapeKey(g), i), rows, phase.taps.length)
    const values = tileRows(await launch(be, spec, [dyz, taps, phase.reach], Math.ceil(rows / 4) * 4 * g.c), rows, tile)
    // the copy is synchronous: a region is freed only by a finalizer task, never during it
    const src = plainView(values)
    phase.positions.forEach((qi, p) => dx.set(src.subarray(p * g.c, (p + 1) * g.c), qi * g.c))
  }
  return dx
}

/**
 * Filter gradient: rows are filter rows (ky, kx, ci); the reduction runs over every output position.
 * `chained`: the sums start from a previous call's output (row-major when the tile has a layout), so a batch reduced in slices adds
 * the same products in the same order as one call over the whole batch.
 */
const filterGradSource = (be: Backend, chained: boolean, tile: Tile): string => `function (x, dy, offsets, init) {
  const co = this.thread.x;
  ${!chained ? accumulators(tile) : tile.layout
    ? `const ib = this.thread.y * 4 * this.constants.CO + co;
  ${perCell(tile, (r, g) => `let s${r}_${g} = init[ib + ${r} * this.constants.CO${span(g)}];`)}`
    : `const ib = (this.thread.y * this.constants.SPAN + co) * ${4 * tile.groups};
  ${perCell(tile, (r, g) => `let s${r}_${g} = init[ib + ${4 * g + r}];`)}`}
  const o0 = Math.floor(offsets[this.thread.y * 4]);
  const o1 = Math.floor(offsets[this.thread.y * 4 + 1]);
  const o2 = Math.floor(offsets[this.thread.y * 4 + 2]);
  const o3 = Math.floor(offsets[this.thread.y * 4 + 3]);
  for (let n = 0; n < this.constants.N; n++) {
    for (let oy = 0; oy < this.constants.HO; oy++) {
      const xb = (n * this.constants.HP + oy * this.constants.S) * this.constants.WP * this.constants.CI;
      const du = (n * this.constants.HO + oy) * this.constants.WO * this.constants.CO;
      const db = du + co;
      ${accumulators(tile, 't')}
      ${be.capabilities.fusedMultiplyAdd
    ? runningReduction(tile, {
      counter: 'ox', count: 'this.constants.WO', acc: 't', rows: 'x', rowStarts: ['xb + o0', 'xb + o1', 'xb + o2', 'xb + o3'],
      rowStep: 'this.constants.S * this.constants.CI', lanes: 'dy', laneStart: 'du', lane: 'co', laneStep: 'this.constants.CO',
    })
    : `for (let ox = 0; ox < this.constants.WO; ox++) {
        ${perGroup(tile, g => `const dv${g} = dy[db + ox * this.constants.CO${span(g)}];`, '\n        ')}
        const xo = xb + ox * this.constants.S * this.constants.CI;
        ${perCell(tile, (r, g) => `t${r}_${g} += x[xo + o${r}] * dv${g};`, '\n        ')}
      }`}
      ${perCell(tile, (r, g) => `s${r}_${g} += t${r}_${g};`)}
    }
  }
  return [${perCell(tile, (r, g) => `s${r}_${g}`, ', ')}];
}`

const ZERO4 = new Float32Array(4)

/** Offset of filter row m = (ky, kx, ci) inside a padded input window (rows padded to a multiple of 4). */
const tapOffsets = (g: ConvGeometry): Float32Array => {
  const rows = g.kh * g.kw * g.c
  return table(keyOf('offsets', ...shapeKey(g)), Math.ceil(rows / 4) * 4, row => {
    const m = Math.min(row, rows - 1)
    const tap = Math.floor(m / g.c)
    return (Math.floor(tap / g.kw) * g.wp + (tap % g.kw)) * g.c + (m % g.c)
  })
}

/**
 * The gradient of conv2d with respect to its weights.
 *
 * @example
 * const dw = await conv2dFilterGrad(x, w.shape, dy, { padding: 'same' }, backend)
 */
export const conv2dFilterGrad = async (x: Tensor, wShape: readonly number[], dy: Tensor, opts: Conv2DOptions = {}, be: Backend): Promise<Tensor> =>
  Tensor.adopt(wShape, await filterGrad(convGeometry(x.shape, wShape, opts, 'conv2d filter gradient'), x, dy, be))

const filterGrad = async (g: ConvGeometry, x: Tensor, dy: Tensor, be: Backend): Promise<Float32Array> => {
  const live = liveTaps(g)
  if (live) return embedTaps(await filterGrad(live.g, x, dy, be), g.kh, g.kw, g.c * g.cout, live.y0, live.x0, live.g.kh, live.g.kw)
  const rows = g.kh * g.kw * g.c
  const length = Math.ceil(rows / 4) * 4 * g.cout
  const tile = convTile(be, g.cout)
  const run = (s: number, c: number, init: Float32Array | undefined): Promise<Float32Array> => {
    const gs = batchOf(g, c)
    const spec = {
      key: keyOf('conv2d.dw', ...shapeKey(gs), !!init, tileKey(tile)),
      source: filterGradSource(be, !!init, tile),
      fma: true,
      output: [tile.span, Math.ceil(rows / 4)],
      constants: { ...constantsOf(gs, tile), R: rows },
      cellWork: 4 * tile.groups * gs.positions,
      ...tileReturn(tile),
    }
    return launch(be, spec, [padNHWC(batchSlice(x, s, c), gs, 0, 'conv.x'), batchSlice(dy, s, c).data, tapOffsets(gs), init ?? ZERO4], length)
  }
  let sums: Float32Array | undefined
  // over the limit, the batch runs in slices, each continuing the previous slice's sums
  for (const [s, c] of sliceRanges('conv2d filter gradient', g.n, windowPerSample(g, g.cout))) sums = await run(s, c, sums)
  return tileRows(sums!, rows, tile)
}

/**
 * Both gradients of a convolution.
 *
 * @example
 * const { dx, dw }: Conv2DGrads = await conv2dGrad(x, w, dy, {}, backend)
 */
export interface Conv2DGrads {
  readonly dx: Tensor
  readonly dw: Tensor
  /** Absent when the caller has no bias (`bias: false`): its reduction is skipped. */
  readonly db?: Tensor
}

/**
 * All three gradients of conv2d (the fused ReLU, if any, must already be applied to dy). With
 * `bias: false` (a convolution followed by batch norm) the bias gradient is not computed.
 *
 * @example
 * const { dx, dw } = await conv2dGrad(x, w, dy, { stride: 2, padding: 'valid' }, backend)
 */
export const conv2dGrad = async (x: Tensor, w: Tensor, dy: Tensor, opts: Conv2DOptions = {}, backend: Backend, bias = true): Promise<Conv2DGrads> => {
  const cout = w.shape[3]!
  const [dx, dw, db] = await Promise.all([
    conv2dInputGrad(x.shape, w, dy, opts, backend),
    conv2dFilterGrad(x, w.shape, dy, opts, backend),
    bias ? reduceRows('sum', dy.data, cout, {}, backend) : undefined,
  ])
  return { dx, dw, ...(db ? { db: Tensor.adopt([cout], Float32Array.from(db)) } : {}) }
}
