import test from 'ava'
import { execFile } from 'child_process'
import { mkdtempSync, readFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { tfCrossEntropy } from '../../bench/peers/tfjs-network'
import { useTf } from '../../bench/tfjs'

const run = promisify(execFile)
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')

test('rxception bench runs each case in its own process, checks the peers against rxception and writes JSON, an SVG chart and a results page', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxception-bench-'))
  const out = path.join(dir, 'run.json')
  const md = path.join(dir, 'RESULTS.md')
  const { stdout } = await run(process.execPath, [cli, 'bench', '--models', 'inception-resnet-v1-tiny', '--sizes', '40:2:infer,40:2:train',
    '--peers', 'tfjs-wasm,tfjs-cpu,torch', '--num-classes', '10', '--warmup', '0', '--reps', '1', '--out', out, '--markdown', md], { timeout: 240_000 })
  const json = JSON.parse(readFileSync(out, 'utf8'))
  t.deepEqual(Object.keys(json), ['machine', 'date', 'command', 'rows'])
  t.regex(json.command, /^rxception bench --models inception-resnet-v1-tiny/)
  const rows = json.rows as Record<string, any>[]
  t.is(rows.length, 8, 'rxception and three peers for each of two cases')
  for (const r of rows) {
    for (const k of ['engine', 'backend', 'network', 'size', 'batch', 'pass', 'imagesPerSecond', 'msPerBatch', 'peakRssMiB', 'maxAbsLogitDiff', 'loadAverage']) t.true(k in r, `${r.engine} row has ${k}`)
    t.true(r.checkPassed, `${r.engine} ${r.pass}: ${r.check}`)
  }
  const row = (engine: string, pass: string) => rows.find(r => r.engine === engine && r.pass === pass)!
  t.true(row('rxception', 'infer').imagesPerSecond > 0)
  t.true(row('rxception', 'infer').peakRssMiB > 50)
  t.true(row('tfjs-wasm', 'infer').maxAbsLogitDiff < 1e-3, 'the peer computed the same logits')
  t.true(row('tfjs-cpu', 'train').imagesPerSecond > 0, 'tfjs-cpu trains (its loss and gradients matched)')
  t.regex(row('tfjs-wasm', 'train').error, /Conv2DBackpropFilter/, 'tfjs-wasm cannot train: the row says why')
  t.regex(row('torch', 'infer').error, /python3-torch|PyTorch/)
  t.regex(stdout, /× tfjs-wasm/)
  t.regex(readFileSync(out.replace(/\.json$/, '.svg'), 'utf8'), /^<svg[\s\S]*<rect[\s\S]*<\/svg>\n$/)
  const page = readFileSync(md, 'utf8')
  t.regex(page, /^# Benchmark results/)
  t.regex(page, /\| engine \| network \|/)
  t.regex(page, /!\[images per second\]\(run\.svg\)/)
})

test('the peers\' cross-entropy is rxception\'s: label smoothing spread over every class', async t => {
  const tf = await useTf('tfjs-cpu')
  const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]])
  const loss = (await tfCrossEntropy(tf, logits, [0, 2], 0.1).data())[0]!
  const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0))
  const expected = ([[2, 0, -1], [0.5, 0.5, 3]] as number[][]).map((r, n) => {
    const label = [0, 2][n]!
    return -r.reduce((a, v, k) => a + ((k === label ? 0.9 : 0) + 0.1 / 3) * (v - lse(r)), 0)
  })
  t.true(Math.abs(loss - (expected[0]! + expected[1]!) / 2) < 1e-6)
})
