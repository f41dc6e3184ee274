import test from 'ava'
import { createBackendOf } from '../../lib/backend'
import { Tensor } from '../../lib/tensor'
import { batchNormTraining, batchNormTrainingGrad, reluGrad } from '../../lib/ops'

/**
 * Batch norm's backward through its fused ReLU masks dy inside its own kernels (one reduction pass
 * for both sums, no separate reluGrad pass). It must give the unfused path's bits: reluGrad, then
 * the gradient of the plain batch norm.
 */
for (const mode of ['cpu', 'webasm'] as const) {
  test(`${mode}: the fused ReLU mask gives the bits of reluGrad followed by the unmasked gradient`, async t => {
    const be = createBackendOf(mode, 'test', 2)
    const c = 12
    const x = Tensor.adopt([3, 5, 4, c], Float32Array.from({ length: 3 * 5 * 4 * c }, (_, i) => Math.sin(i * 0.37) * 2))
    const dy = Tensor.adopt(x.shape, Float32Array.from({ length: x.size }, (_, i) => Math.cos(i * 0.91)))
    const p = { beta: Tensor.adopt([c], Float32Array.from({ length: c }, (_, i) => i / 10 - 0.5)), gamma: Tensor.adopt([c], new Float32Array(c).fill(1.25)) }
    const running = { mean: Tensor.zeros([c]), variance: Tensor.ones([c]) }
    const fwd = await batchNormTraining(x, p, running, { relu: true }, be)
    t.true(fwd.y.data.some(v => v === 0) && fwd.y.data.some(v => v > 0), 'the ReLU cuts some values and keeps others')
    const fused = await batchNormTrainingGrad(x, dy, p, fwd, be, fwd.y)
    const unfused = await batchNormTrainingGrad(x, await reluGrad(fwd.y, dy, be), p, fwd, be)
    t.deepEqual(Array.from(fused.dx.data), Array.from(unfused.dx.data))
    t.deepEqual(Array.from(fused.dbeta.data), Array.from(unfused.dbeta.data))
    t.deepEqual(Array.from(fused.dgamma!.data), Array.from(unfused.dgamma!.data))
    await be.destroy()
  })
}
