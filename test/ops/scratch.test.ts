import test from 'ava'
import { Tensor } from '../../lib/tensor'
import { avgPoolGrad, conv2d, conv2dGrad, maxPool, maxPoolGrad } from '../../lib/ops'
import { scratch } from '../../lib/ops/internal/scratch'
import { backendFor, testModes } from '../helpers/backends'

/**
 * Kernel arguments built in reused scratch buffers (lib/ops/internal/scratch.ts: padded inputs, dy
 * with its zero row, transposed filters): ops issued together, without awaiting each other, fill
 * the same buffers one after another, so each kernel must have taken its arguments when it was
 * called. They must give the results of the same ops run one at a time.
 */

const ramp = (shape: number[], k: number) => Tensor.adopt(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => ((i * k) % 29) / 29 - 0.5))

test('scratch: a slot hands back its buffer for any size up to the largest so far, fresh buffers for new slots', t => {
  const a = scratch('test.a', 100)
  a.fill(7)
  const b = scratch('test.a', 60)
  t.is(b.length, 60)
  t.is(b.buffer, a.buffer)
  t.not(scratch('test.b', 60).buffer, a.buffer)
  t.is(scratch('test.a', 200).length, 200)
})

for (const mode of testModes()) {
  test(`${mode}: convolutions and pool gradients issued together give the results of one-at-a-time runs`, async t => {
    const be = await backendFor(mode)
    const cases = [
      { x: ramp([2, 7, 7, 8], 3), w: ramp([3, 3, 8, 12], 5), opts: { padding: 'same' as const } },
      { x: ramp([1, 9, 9, 8], 7), w: ramp([1, 5, 8, 12], 11), opts: { padding: 'same' as const } },
      { x: ramp([3, 5, 5, 4], 13), w: ramp([3, 3, 4, 8], 17), opts: { padding: 'same' as const } },
    ]
    const work = (c: (typeof cases)[number]) => async () => {
      const y = await conv2d(c.x, c.w, undefined, c.opts, be)
      const g = await conv2dGrad(c.x, c.w, y, c.opts, be, false)
      const pool = { size: 3, stride: 1, padding: 'same' as const }
      const m = await maxPool(c.x, pool, be)
      const dm = await maxPoolGrad(c.x, m, pool, be)
      const da = await avgPoolGrad(c.x.shape, m, pool, be)
      return [y, g.dx, g.dw, dm, da].map(v => Array.from(v.data))
    }
    const together = await Promise.all(cases.map(c => work(c)()))
    const alone = []
    for (const c of cases) alone.push(await work(c)())
    t.deepEqual(together, alone)
  })
}
