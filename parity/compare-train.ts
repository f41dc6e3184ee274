/**
 * Train-mode gradient parity with PyTorch (issue 15). For each case parity/torch_train_reference.py
 * wrote, loads the same weights (timm's names), runs one training-mode forward and backward pass of
 * the same logits gradient on rxception's backend, and compares every parameter's gradient with
 * PyTorch float64 as ‖g − g64‖ / ‖g64‖, beside PyTorch float32's own distance from float64 on the same
 * tensor. Passes when ≥ 99% of tensors are within PyTorch float32's distance (×1.5, for the luck of
 * rounding) and the worst is within 10× it. Exits non-zero otherwise.
 *
 *   npm run parity                               (webasm, the default backend)
 *   RXCEPTION_BACKEND=cpu npm run parity
 *   PARITY_ROWS=1 npm run parity                 (also lists every tensor past 1.5×, classifier first)
 *
 * A float32 engine's distance here is decided by a few ReLU kinks and max-pool ties that rounding
 * resolves the other way (PyTorch float32 flips 1-3 per step too): see docs/numerics.md.
 */
import { isLeft } from 'fp-ts/Either'
import * as fs from 'fs'
import * as path from 'path'
import { Backend } from '../lib/backend'
import { flatten } from '../lib/nn'
import { importStateDict, toTorchLayout } from '../lib/io'
import { Tensor, keyFromSeed } from '../lib/tensor'
import { NETWORKS } from '../modules'
import { readWeights } from '../pipelines/train-setup'
import { gradientDistances, summarizeDistances } from './distance'

/** Runs every train-*.safetensors case of `dir` on `be`; true when each passes. */
export const compareTrain = async (dir: string, be: Backend): Promise<boolean> => {
  console.log(`train-mode gradients, backend ${be.mode} (${be.device})`)
  let ok = true
  const files = fs.readdirSync(dir).filter(f => /^train-.*\.safetensors$/.test(f)).sort()
  if (files.length === 0) throw new Error(`${dir}: no train-*.safetensors (run parity/torch_train_reference.py first)`)
  for (const file of files) {
    const [, model, size, batch] = /^train-(.+)-(\d+)-b(\d+)\.safetensors$/.exec(file)!
    const io = await readWeights(path.join(dir, file))
    const weights = new Map([...io].filter(([k]) => k.startsWith('weight.')).map(([k, t]) => [k.slice('weight.'.length), t] as const))
    const x = io.get('input')!
    const net = NETWORKS[model as keyof typeof NETWORKS]({ dropoutKeep: 1 })
    const loaded = importStateDict(net.spec(x.shape), weights, file)
    if (isLeft(loaded)) throw loaded.left
    const ctx = { training: true, key: keyFromSeed(0), backend: be }
    const t0 = performance.now()
    const a = await net.apply(loaded.right.params, loaded.right.state, x, ctx)()
    const g = await a.backward(io.get('dlogits')!)()
    const seconds = (performance.now() - t0) / 1000
    const ours = new Map(flatten(g.params).map(([k, t]) => [k, toTorchLayout(t as Tensor).data] as const))
    const rows = gradientDistances(ours, io)
    if (process.env.PARITY_ROWS) for (const r of [...rows].reverse()) if (r.ratio > 1.5) console.log(`  ${r.key} ${r.ours.toExponential(2)} torch32 ${r.torch32.toExponential(2)}`)
    const s = summarizeDistances(rows)
    ok &&= s.pass
    console.log(`${model} ${size}x${size} batch ${batch} (${rows.length} tensors, step ${seconds.toFixed(1)} s): ` +
      `median distance ${s.median.toExponential(2)} (PyTorch float32 ${s.torchMedian.toExponential(2)}), ` +
      `${(100 * s.within).toFixed(1)}% within PyTorch float32's, worst ${s.worst.ratio.toFixed(2)}× (${s.worst.key}): ${s.pass ? 'ok' : 'FAIL'}`)
  }
  return ok
}
