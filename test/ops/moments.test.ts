import test from 'ava'
import { createBackendOf } from '../../lib/backend'
import { channelMoments } from '../../lib/ops/internal/reduce'

/**
 * Batch norm's statistics in one kernel call (lib/ops/internal/reduce.ts): each group of rows
 * centres on its own mean, the groups are joined with Chan's formula. Checked against float64 on
 * data far from zero (where E[x²] − E[x]² would lose every digit) and on a row count that leaves a
 * short last group.
 */
for (const mode of ['cpu', 'webasm'] as const) {
  test(`${mode}: channelMoments equals float64 means and squared deviations, offset data, uneven groups`, async t => {
    const be = createBackendOf(mode, 'test', 2)
    const rows = 1237, c = 12
    const a = Float32Array.from({ length: rows * c }, (_, i) => 1000 + (i % c) * 10 + Math.sin(i * 0.7))
    const { mean, m2 } = await channelMoments(a, c, be)
    for (let k = 0; k < c; k++) {
      let s = 0
      for (let r = 0; r < rows; r++) s += a[r * c + k]!
      const mu = s / rows
      let q = 0
      for (let r = 0; r < rows; r++) q += (a[r * c + k]! - mu) ** 2
      t.true(Math.abs(mean[k]! - mu) <= 1e-6 * Math.abs(mu), `channel ${k} mean ${mean[k]} vs ${mu}`)
      t.true(Math.abs(m2[k]! - q) <= 1e-4 * q, `channel ${k} m2 ${m2[k]} vs ${q}`)
    }
    await be.destroy()
  })
}
