import test from 'ava'
import { createBackendOf } from '../../lib/backend'
import { conv2d, convGeometry } from '../../lib/ops/conv2d'
import { filterBlocks } from '../../lib/ops/internal/filter-blocks'
import { Tile } from '../../lib/ops/internal/tile'
import { keyFromSeed, normal } from '../../lib/tensor'

const layout = { rowStride: 0, componentOffsets: [] }
const tile = (groups: number): Tile => ({ groups, span: 0, layout })
const blocks = (x: number[], w: number[], groups: number, stored = true) =>
  filterBlocks(convGeometry(x, w), stored ? tile(groups) : { groups, span: 0 })

test('filterBlocks: one block up to 512 KiB of filter; past it the fewest blocks of whole quads at least 32 columns wide under it, else the narrowest; none without a layout', t => {
  t.is(blocks([1, 17, 17, 1024], [1, 1, 1024, 128], 2), 1) // 512 KiB exactly
  t.is(blocks([1, 17, 17, 1024], [1, 1, 1024, 768], 2), 6) // 3 MiB: 6 blocks of 128 columns
  t.is(blocks([1, 3, 5, 288], [1, 1, 288, 512], 2), 2)
  t.is(blocks([1, 4, 3, 64], [3, 3, 64, 264], 2), 3) // 88 columns, 11 quads of 8
  t.is(blocks([1, 4, 3, 64], [3, 3, 64, 264], 3), 2) // quads of 12: 132 columns
  t.is(blocks([1, 2, 3, 2700], [1, 1, 2700, 50], 1), 1) // 50 columns are not whole quads of 4 in 2 or more blocks of 32+
  t.is(blocks([1, 8, 8, 4096], [1, 1, 4096, 64], 2), 2) // 1 MiB: 2 blocks of 32, still 512 KiB each
  t.is(blocks([1, 8, 8, 8192], [1, 1, 8192, 64], 2), 2) // 2 MiB: no block fits, the narrowest allowed (32 columns)
  t.is(blocks([1, 17, 17, 1024], [1, 1, 1024, 808], 2), 1) // 808 = 8 · 101: no block of 32+ whole quads divides it
  t.is(blocks([1, 17, 17, 1024], [1, 1, 1024, 768], 2, false), 1)
})

test('webasm: a blocked forward convolution gives the unblocked one\'s results bit for bit (the same sums in the same order)', async t => {
  const blocked = createBackendOf('webasm', 'test', 2)
  const whole = createBackendOf('webasm', 'test', 2, undefined, { directStores: false })
  for (const [xs, ws] of [[[2, 5, 3, 288], [1, 1, 288, 512]], [[1, 4, 3, 64], [3, 3, 64, 264]]] as const) {
    const x = normal(keyFromSeed(1), [...xs])
    const w = normal(keyFromSeed(2), [...ws])
    const b = normal(keyFromSeed(3), [ws[3]])
    t.true(blocks([...xs], [...ws], blocked.capabilities.tileGroups === 3 && !blocked.capabilities.fusedMultiplyAdd ? 3 : 2) > 1)
    const a = await conv2d(x, w, b, { padding: 'same', relu: true }, blocked)
    const r = await conv2d(x, w, b, { padding: 'same', relu: true }, whole)
    t.deepEqual(a.shape, r.shape)
    t.true(a.data.every((v, i) => Object.is(v, r.data[i])), `${ws.join('x')}: blocked and unblocked differ`)
  }
  await blocked.destroy()
  await whole.destroy()
})
