import test from 'ava'
import { spawnSync } from 'child_process'
import { promises as fs } from 'fs'
import * as os from 'os'
import * as path from 'path'
import { PNG } from 'pngjs'
import { exportStateDict, writeSafetensors } from '../../lib/io'
import { keyFromSeed } from '../../lib/tensor'
import { PREDICT_DEFAULTS, PREDICT_FLAGS } from '../../pipelines/commands'
import { parseCommand } from '../../lib/flags'
import { buildModel, modelChoice } from '../../pipelines/model-options'

/**
 * The probes of issue 9, run from the CLI as a user would: every one exits non-zero with one line
 * naming the problem and no stack trace. No wall-time bound (a shared machine runs at any speed):
 * a run killed by the generous hang guard fails as an error of its own.
 */
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000 })
  if (r.error || r.signal) throw new Error(`rxception ${args.join(' ')}: ${r.error?.message ?? `killed by ${r.signal}`} (hang guard)`)
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout }
}

const probes: [string[], RegExp][] = [
  [['summary', '--repeats', '100000,1,1'], /^rxception: --repeats: expected three integers A,B,C in \[1, 20\], \[1, 40\], \[1, 20\], got \[100000,1,1\]$/],
  [['summary', '--width', 'Infinity'], /^rxception: --width: expected a decimal number, got 'Infinity'$/],
  [['summary', '--width', '0x10'], /^rxception: --width: expected a decimal number, got '0x10'$/],
  [['summary', '--model', 'constructor'], /^rxception: --model: expected inception-v4 \| inception-resnet-v1 \| inception-resnet-v2, got "constructor"$/],
  [['summary', '--depth', 'abc'], /^rxception: --depth: expected a decimal number, got 'abc'$/],
  [['predict', '--weights', 'w.safetensors', '--top', '-3', 'x.png'], /^rxception: --top: expected an integer in \[1, 100000\], got -3$/],
  [['predict', '--weights', 'w.safetensors', '--top', 'abc', 'x.png'], /^rxception: --top: expected a decimal number, got 'abc'$/],
  [['predict', '--weights', 'w.safetensors', '--top', '1001', 'x.png'], /^rxception: --top: expected an integer in \[1, 1000\] \(--num-classes\), got 1001$/],
  [['bench', '--backends', 'nope'], /^rxception: --backends: expected a comma list of webasm \| cpu \| headlessgl \| webgpu, got \["nope"\]$/],
  [['bench', '--rep', '3'], /^rxception: bench: unknown option --rep/],
  [['bench', '--peers', 'tfjs-gpu'], /^rxception: --peers: expected a comma list of tfjs-wasm \| tfjs-cpu \| ort-wasm \| ort-native \| torch, got \["tfjs-gpu"\]$/],
  [['bench', '--sizes', '299:1:predict'], /^rxception: --sizes: expected SIZE:BATCH:infer\|train,\.\.\./],
  [['bench', '--mode', 'ops', '--backends', 'nope'], /^rxception: --backends: expected a comma list of webasm \| cpu \| headlessgl \| webgpu, got \["nope"\]$/],
  [['frobnicate'], /^rxception: unknown command 'frobnicate'/],
  [['summary', '--classes', '10'], /^rxception: summary: --classes is now --num-classes$/],
  [['train', '--classes', '10'], /^rxception: train: --classes is now --num-classes$/],
  [['predict', '--input', '75'], /^rxception: predict: --input is now --img-size$/],
  [['evaluate', '--channels', '1'], /^rxception: evaluate: --channels is now --in-chans$/],
  [['bench', '--dropout-keep', '1'], /^rxception: bench: --dropout-keep is now --drop/],
]

test('summary with timm\'s names: --num-classes, --img-size and --in-chans shape the network', t => {
  const r = run('summary', '--model', 'inception-v4', '--num-classes', '10', '--img-size', '75', '--in-chans', '1')
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /^features\.0\.conv +conv2d 3x3\/2 valid → 32 +\[1, 37, 37, 32\] +288 /m, 'a 3x3 filter over 1 channel, 32 filters: 288 weights on a 37x37 map')
  t.regex(r.stdout, /^last_linear +\S+.*\[1, 10\]/m)
})

for (const [args, expected] of probes) {
  test(`rxception ${args.join(' ')}: one line, non-zero, no stack`, t => {
    const r = run(...args)
    t.not(r.code, 0)
    t.regex(r.stderr, expected)
    t.false(r.stderr.includes('\n'), r.stderr)
  })
}

test('--verbose shows the stack', t => {
  const r = run('summary', '--width', '0x10', '--verbose')
  t.regex(r.stderr, /ConfigError: --width[\s\S]*\n\s+at /)
})

test('predict /dev/zero and a 20000×20000 PNG bomb: each refused from its header and named, exit 1; a good image beside them is still classified', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rxc-probe-'))
  const model = ['--model', 'inception-resnet-v2', '--width', '0.0625', '--repeats', '1,1,1', '--img-size', '75', '--num-classes', '10']
  const choice = modelChoice(parseCommand('predict', model, PREDICT_FLAGS, PREDICT_DEFAULTS).values)
  const { params, state } = buildModel(choice).init(keyFromSeed(1), [1, 75, 75, 3])
  const weights = path.join(dir, 'w.safetensors')
  await writeSafetensors(weights, exportStateDict(params, state))()
  const bomb = path.join(dir, 'bomb.png')
  const header = Buffer.alloc(33)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header)
  header.writeUInt32BE(13, 8)
  header.write('IHDR', 12, 'latin1')
  header.writeUInt32BE(20000, 16)
  header.writeUInt32BE(20000, 20)
  header[24] = 8
  header[25] = 6
  await fs.writeFile(bomb, header)
  const good = path.join(dir, 'good.png')
  const p = new PNG({ width: 80, height: 80 })
  p.data.fill(200)
  await fs.writeFile(good, PNG.sync.write(p))
  const r = run('predict', '--weights', weights, ...model, '/dev/zero', bomb, good, '--top', '3')
  t.is(r.code, 1)
  t.deepEqual(r.stderr.split('\n'), [
    'rxception: /dev/zero: not a regular file',
    `rxception: ${bomb}: declares 20000×20000 pixels, over the 25000000-pixel limit`,
    'rxception: 2 of 3 images failed',
  ])
  t.regex(r.stdout, /good\.png\n( +\d+\.\d\d% +\d+ +class \d+\n?){3}/)
})
