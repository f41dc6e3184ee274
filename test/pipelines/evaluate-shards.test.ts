import test from 'ava'
import { isRight } from 'fp-ts/Either'
import { mkdtempSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { exportStateDict, writeSafetensors } from '../../lib/io'
import { keyFromSeed } from '../../lib/tensor'
import { decodeConfig } from '../../pipelines/config'
import { mergeResults, runEvaluation, timmResults } from '../../pipelines/evaluate'
import { buildNetwork, inputShape } from '../../pipelines/train-setup'
import { backendFor } from '../helpers/backends'
import { shards } from '../helpers/wds'

test('evaluate --shard I/N: three parts, merged, give the unsharded top-1, top-5, loss and confusion matrix exactly; a missing part is refused', async t => {
  const be = await backendFor('webasm')
  const config = decodeConfig({ width: 0.0625, data: 'mnist:heldout', evalBatchSize: 64, workers: 0 }, 'test')
  const net = buildNetwork(config, 10)
  const { params, state } = net.init(keyFromSeed(3), inputShape(config))
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-shards-'))
  const weights = path.join(dir, 'w.safetensors')
  t.true(isRight(await writeSafetensors(weights, exportStateDict(params, state))()))
  const flags = { weights: [weights], crops: 'centre' as const, resultsFormat: 'csv' as const }
  const whole = await runEvaluation(config, flags, be, () => undefined)
  const parts: string[] = []
  for (let i = 0; i < 3; i++) {
    const r = await runEvaluation({ ...config, shard: `${i}/3` }, flags, be, () => undefined)
    const file = path.join(dir, `part-${i}.json`)
    writeFileSync(file, JSON.stringify(r))
    parts.push(file)
  }
  const merged = mergeResults(parts)
  t.is(merged.examples, 1000)
  t.is(merged.top1, whole.top1)
  t.is(merged.top5, whole.top5)
  t.deepEqual(merged.confusion, whole.confusion)
  t.true(Math.abs(merged.loss - whole.loss) < 1e-12, `${merged.loss} vs ${whole.loss}`)
  t.throws(() => mergeResults(parts.slice(0, 2)), { message: /expected shards 0\/3, 1\/3, 2\/3 once each: missing shard 2\/3$/ })
  t.throws(() => mergeResults([parts[0]!, parts[1]!, parts[1]!]), { message: /missing shard 2\/3; shard 1\/3 in .*part-1\.json and .*part-1\.json$/ })
  const csv = timmResults(merged, 'csv').split('\n')
  t.is(csv[0], 'model,top1,top1_err,top5,top5_err,param_count,img_size,crop_pct,interpolation')
  t.is(Number(csv[1]!.split(',')[1]), +(100 * whole.top1).toFixed(3))
})

test("evaluate from wds shards written by Python's tarfile: each of --shard 0/3..2/3 reads whole shards, and the merge is the unsharded result", async t => {
  const be = await backendFor('webasm')
  const { pattern } = await shards(3, 8, true)
  const config = decodeConfig({ width: 0.0625, data: `wds:${pattern}`, evalBatchSize: 5, workers: 1 }, 'test')
  const net = buildNetwork(config, 3)
  const { params, state } = net.init(keyFromSeed(4), inputShape(config))
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-wds-eval-'))
  const weights = path.join(dir, 'w.safetensors')
  t.true(isRight(await writeSafetensors(weights, exportStateDict(params, state))()))
  const flags = { weights: [weights], crops: 'centre' as const, resultsFormat: 'json' as const }
  const whole = await runEvaluation(config, flags, be, () => undefined)
  t.is(whole.examples, 24)
  const parts: string[] = []
  for (let i = 0; i < 3; i++) {
    const r = await runEvaluation({ ...config, shard: `${i}/3` }, flags, be, () => undefined)
    t.is(r.examples, 8, 'one whole shard each')
    const file = path.join(dir, `part-${i}.json`)
    writeFileSync(file, JSON.stringify(r))
    parts.push(file)
  }
  const merged = mergeResults(parts)
  t.deepEqual(merged.confusion, whole.confusion)
  t.is(merged.top1, whole.top1)
  t.true(Math.abs(merged.loss - whole.loss) < 1e-12, `${merged.loss} vs ${whole.loss}`)
})
