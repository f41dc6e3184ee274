import test from 'ava'
import { execFile } from 'child_process'
import { mkdtempSync, writeFileSync } from 'fs'
import { readFile } from 'fs/promises'
import * as ort from 'onnxruntime-web'
import { onnx } from 'onnx-proto'
import { tmpdir } from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { createBackend } from '../../lib/backend'
import { exportStateDict, writeSafetensors } from '../../lib/io'
import { keyFromSeed, normal } from '../../lib/tensor'
import { NETWORKS } from '../../modules'
import { decodeConfig } from '../../pipelines/config'
import { loadResume } from '../../pipelines/train'
import { buildNetwork } from '../../pipelines/train-recipe'

/** `rxception export --to onnx` as a user runs it: from a training run's folder, and from --model with --weights. */
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
const rx = (args: string[]) => promisify(execFile)(process.execPath, [cli, ...args], { timeout: 300_000 })
ort.env.wasm.numThreads = 1

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0)
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)

test("export --format onnx RUN: the run's network at its checkpoint, the run's normalisation in the metadata, ONNX Runtime gives its logits", async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-onnx-'))
  const data = path.join(dir, 'd.ndjson')
  writeFileSync(data, Array.from({ length: 8 }, (_, i) => JSON.stringify({ pixels: Array.from({ length: 64 }, (_, j) => ((i * 7 + j) % 5) / 4), shape: [8, 8, 1], label: i % 2 })).join('\n'))
  const out = path.join(dir, 'run')
  await rx(['train', '--data', `ndjson:${data}`, '--img-size', '28', '--width', '0.0625', '-b', '4', '--epochs', '1', '--output', out, '--backend', 'cpu'])
  const { stdout } = await rx(['export', '--format', 'onnx', out])
  t.is(stdout.trim(), path.join(out, 'model.onnx'))
  const bytes = await readFile(path.join(out, 'model.onnx'))
  const meta = Object.fromEntries(onnx.ModelProto.decode(bytes).metadataProps.map(p => [p.key, p.value]))
  t.is(meta.layout, 'nchw')
  t.is(meta.classes, '2')
  t.is(meta.step, '2')
  t.truthy(meta.mean)
  // our own forward pass of the same checkpoint
  const r = await loadResume(out)
  const config = decodeConfig(r.config, 'config')
  const net = buildNetwork(config, 2)
  const x = normal(keyFromSeed(4), [1, 28, 28, 1])
  const be = await createBackend('cpu')
  const { y } = await net.apply(r.state.params, r.state.state, x, { training: false, key: keyFromSeed(0), backend: be })()
  await be.destroy()
  const session = await ort.InferenceSession.create(bytes)
  const z = (await session.run({ input: new ort.Tensor('float32', x.data, [1, 1, 28, 28]) })).logits!.data as Float32Array
  t.true(maxAbsDiff(z, y.data) <= 1e-4 * maxAbs(y.data), `max |diff| ${maxAbsDiff(z, y.data)}`)
})

test('export --to onnx --model NAME --weights FILE: a timm-named weights file as ONNX beside it; a wrong call is one line', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-onnx-'))
  const net = NETWORKS['inception-resnet-v2']({ width: 1 / 8, classes: 3 })
  const { params, state } = net.init(keyFromSeed(7), [1, 75, 75, 3])
  const weights = path.join(dir, 'irv2.safetensors')
  const written = await writeSafetensors(weights, exportStateDict(params, state))()
  t.is(written._tag, 'Right')
  const { stdout } = await rx(['export', '--to', 'onnx', '--model', 'inception-resnet-v2', '--width', '0.125', '--num-classes', '3', '--img-size', '75', '--layout', 'nhwc', '--weights', weights])
  t.is(stdout.trim(), path.join(dir, 'irv2.onnx'))
  const session = await ort.InferenceSession.create(await readFile(path.join(dir, 'irv2.onnx')))
  const x = normal(keyFromSeed(8), [1, 75, 75, 3])
  const be = await createBackend('cpu')
  const { y } = await net.apply(params, state, x, { training: false, key: keyFromSeed(0), backend: be })()
  await be.destroy()
  const z = (await session.run({ input: new ort.Tensor('float32', x.data, [1, 75, 75, 3]) })).logits!.data as Float32Array
  t.true(maxAbsDiff(z, y.data) <= 1e-4 * maxAbs(y.data))
  const both = await rx(['export', '--to', 'onnx', '--weights', weights, dir]).catch(e => e as { stderr: string; code: number })
  t.is((both as { code: number }).code, 2)
  t.regex((both as { stderr: string }).stderr, /^rxception: export --to onnx: give a RUN or --weights FILE \(with --model\), not both\n$/)
})
