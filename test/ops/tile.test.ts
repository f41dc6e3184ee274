import test from 'ava'
import { createBackendOf } from '../../lib/backend'
import { Tensor } from '../../lib/tensor'
import { conv2d, conv2dGrad } from '../../lib/ops'
import { matmulFlat } from '../../lib/ops/matmul'
import { setKernelLimit } from '../../lib/ops/internal/split'
import { tileFor, tileLayout, untile } from '../../lib/ops/internal/tile'

/**
 * Register tiles (lib/ops/internal/tile.ts): webasm runs convolutions whose lane channels divide
 * by 8 or 12 as 2- or 3-group tiles. Each output's sum is formed in the same order whatever the
 * tile, so the wide kernels must give the one-group kernels' bits exactly.
 */

const ramp = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => ((i * k) % 23) / 23 - 0.5)

test.serial('tileFor: the widest group count that splits the channels into whole quads, webasm only', t => {
  const wasm = createBackendOf('webasm', 'test', 1)
  const js = createBackendOf('cpu', 'test')
  t.deepEqual(tileFor(wasm, 384), { groups: 3, span: 128 })
  t.deepEqual(tileFor(wasm, 64), { groups: 2, span: 32 })
  t.deepEqual(tileFor(wasm, 20), { groups: 1, span: 20 })
  t.deepEqual(tileFor(js, 384), { groups: 1, span: 384 })
  t.deepEqual(tileFor(createBackendOf('webasm', 'test', 1, undefined, { tileGroups: 2 }), 384), { groups: 2, span: 192 })
  t.throws(() => createBackendOf('webasm', 'test', 1, undefined, { tileGroups: 4 }), { message: /tile groups: expected an integer in \[1, 3\], got 4/ })
  t.throws(() => createBackendOf('cpu', 'test', 1, undefined, { tileGroups: 2 }), { message: /expected an integer in \[1, 1\]/ })
  t.deepEqual(js.capabilities, { tileGroups: 1, directStores: false, fusedMultiplyAdd: false })
})

test('untile: thread (x, y) holds rows 4y..4y+3 of columns x + g·span, group-major; a partial last row block is cut', t => {
  const rows = 6, columns = 8, tile = { groups: 2, span: 4 }
  const blocked = new Float32Array(2 * 4 * 8)
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 4; x++) {
      for (let g = 0; g < 2; g++) {
        for (let r = 0; r < 4; r++) blocked[((y * 4 + x) * 2 + g) * 4 + r] = (4 * y + r) * 100 + g * 4 + x
      }
    }
  }
  const out = untile(blocked, rows, columns, tile)
  t.deepEqual(Array.from(out), Array.from({ length: rows * columns }, (_, i) => Math.floor(i / columns) * 100 + (i % columns)))
})

const SHAPES: { name: string; x: number[]; w: number[]; stride: number; padding: 'same' | 'valid' }[] = [
  { name: '3x3 s1 same 24→36', x: [2, 7, 6, 24], w: [3, 3, 24, 36], stride: 1, padding: 'same' },
  { name: '3x3 s2 valid 36→24 (stride phases)', x: [1, 9, 9, 36], w: [3, 3, 36, 24], stride: 2, padding: 'valid' },
  { name: '1x7 same 16→48', x: [1, 5, 9, 16], w: [1, 7, 16, 48], stride: 1, padding: 'same' },
]

for (const s of SHAPES) {
  test.serial(`webasm ${s.name}: 2- and 3-group tiles give the one-group kernels' bits (forward, input and filter gradients)`, async t => {
    const x = Tensor.adopt(s.x, ramp(s.x.reduce((a, b) => a * b), 7))
    const w = Tensor.adopt(s.w, ramp(s.w.reduce((a, b) => a * b), 11))
    const opts = { stride: s.stride, padding: s.padding, relu: false }
    const runAll = async (groups: number) => {
      const be = createBackendOf('webasm', 'test', 2, undefined, { tileGroups: groups })
      try {
        const y = await conv2d(x, w, undefined, opts, be)
        const grads = await conv2dGrad(x, w, Tensor.adopt(y.shape, ramp(y.size, 5)), opts, be)
        return [y.data, grads.dx.data, grads.dw.data].map(d => Array.from(d))
      } finally {
        await be.destroy()
      }
    }
    const one = await runAll(1)
    t.deepEqual(await runAll(2), one)
    t.deepEqual(await runAll(3), one)
  })
}

test.serial('tileLayout: row r of group g at (4y + r)·columns + g·span + x on patched webasm; none elsewhere or when turned off', t => {
  const wasm = createBackendOf('webasm', 'test', 1)
  const tile = { groups: 3, span: 8 }
  t.deepEqual(tileLayout(wasm, tile, 24), { rowStride: 96, componentOffsets: [0, 24, 48, 72, 8, 32, 56, 80, 16, 40, 64, 88] })
  t.is(tileLayout(createBackendOf('cpu', 'test'), { groups: 1, span: 24 }, 24), undefined)
  t.is(tileLayout(createBackendOf('webasm', 'test', 1, undefined, { directStores: false }), tile, 24), undefined)
})

/** Forward, both gradients and a matmul with direct stores on or off (`limit`: a kernel limit that makes the filter gradient chain batch slices). */
const directOrNot = async (direct: boolean, s: (typeof SHAPES)[number], groups: number, limit?: number) => {
  const be = createBackendOf('webasm', 'test', 2, undefined, { directStores: direct, tileGroups: groups })
  const restores = limit ? [setKernelLimit(limit)] : []
  try {
    const x = Tensor.adopt(s.x, ramp(s.x.reduce((a, b) => a * b), 7))
    const w = Tensor.adopt(s.w, ramp(s.w.reduce((a, b) => a * b), 11))
    const opts = { stride: s.stride, padding: s.padding, relu: true }
    const y = await conv2d(x, w, undefined, opts, be)
    const grads = await conv2dGrad(x, w, Tensor.adopt(y.shape, ramp(y.size, 5)), opts, be)
    const mm = await matmulFlat(be, ramp(18 * 20, 3), ramp(20 * 12, 5), 18, 20, 12)
    return [y.data, grads.dx.data, grads.dw.data, mm].map(d => Array.from(d))
  } finally {
    restores.reverse().forEach(r => r())
    await be.destroy()
  }
}

for (const s of SHAPES) {
  test.serial(`webasm ${s.name}: kernels storing straight into rows give the untiled bits (1 and 3 groups, forward, gradients, matmul)`, async t => {
    for (const groups of [1, 3]) t.deepEqual(await directOrNot(true, s, groups), await directOrNot(false, s, groups), `${groups} group(s)`)
  })
}

test.serial('webasm: a filter gradient chained over batch slices (over the kernel limit) gives the same bits stored directly or untiled', async t => {
  const s = { name: 'batch of 3', x: [3, 6, 6, 12], w: [3, 3, 12, 24], stride: 1, padding: 'same' as const }
  const direct = await directOrNot(true, s, 3, 3100)
  t.deepEqual(direct, await directOrNot(false, s, 3, 3100))
  t.deepEqual(direct, await directOrNot(true, s, 3))
})
