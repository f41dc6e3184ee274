/**
 * Logits parity with PyTorch (issue 3). Loads the state dict that parity/torch_reference.py wrote
 * (strictly, by timm's names), runs rxception's network in inference mode on the same inputs, and
 * compares logits: max absolute difference and top-5 per example. Exits non-zero past 1e-3. Then
 * the train-mode gradient check (compare-train.ts).
 *
 *   npm run parity            (needs Debian's python3-torch: apt-get install python3-torch)
 */
import { isLeft } from 'fp-ts/Either'
import * as path from 'path'
import { createBackend } from '../lib/backend'
import { importStateDict, readSafetensors } from '../lib/io'
import { keyFromSeed } from '../lib/tensor'
import { NETWORKS } from '../modules'
import { compareTrain } from './compare-train'

const top5 = (row: ArrayLike<number>) => Array.from(row, (v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, i]) => i)

const main = async (dir: string) => {
  const be = await createBackend(process.env.RXCEPTION_BACKEND as never ?? 'webasm')
  console.log(`backend: ${be.mode} (${be.device})`)
  let ok = true
  for (const model of ['inception-v4', 'inception-resnet-v2'] as const) {
    const weights = await readSafetensors(path.join(dir, `${model}.weights.safetensors`))()
    if (isLeft(weights)) throw weights.left
    for (const size of [299, 75]) {
      const io = await readSafetensors(path.join(dir, `${model}-${size}.io.safetensors`))()
      if (isLeft(io)) throw io.left
      const x = io.right.tensors.get('input')!
      const expected = io.right.tensors.get('logits')!
      const net = NETWORKS[model]()
      const loaded = importStateDict(net.spec(x.shape), weights.right.tensors, `${model}.weights.safetensors`)
      if (isLeft(loaded)) throw loaded.left
      const t0 = performance.now()
      const y = (await net.apply(loaded.right.params, loaded.right.state, x, { training: false, key: keyFromSeed(0), backend: be })()).y
      const seconds = (performance.now() - t0) / 1000
      let maxAbs = 0
      let maxLogit = 0
      y.data.forEach((v, i) => {
        maxAbs = Math.max(maxAbs, Math.abs(v - expected.data[i]!))
        maxLogit = Math.max(maxLogit, Math.abs(expected.data[i]!))
      })
      const k = expected.shape[1]!
      const sameTop5 = [0, 1].every(n => top5(y.data.subarray(n * k, (n + 1) * k)).join() === top5(expected.data.subarray(n * k, (n + 1) * k)).join())
      const pass = maxAbs <= 1e-3 && sameTop5
      ok &&= pass
      console.log(`${model} ${size}x${size}: max |Δlogit| ${maxAbs.toExponential(2)} (largest |logit| ${maxLogit.toFixed(2)}), top-5 ${sameTop5 ? 'identical' : 'DIFFERENT'}, forward ${seconds.toFixed(1)} s for 2 images: ${pass ? 'ok' : 'FAIL'}`)
    }
  }
  const trainOk = await compareTrain(dir, be)
  await be.destroy()
  process.exit(ok && trainOk ? 0 : 1)
}

main(process.argv[2] ?? 'parity/out').catch(e => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
