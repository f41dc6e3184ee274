/**
 * The network benchmark: whole networks, rxception against TensorFlow.js (and PyTorch where it is
 * installed), same parameters, same input, every case alone in its own child process (bench/case.ts).
 *
 *   rxception bench --models inception-v4,inception-resnet-v2 --sizes 299:1:infer,75:8:train \
 *                   --peers tfjs-wasm,tfjs-cpu --out bench/results/run.json [--markdown bench/RESULTS.md]
 *   rxception bench --quick          the README's quick run (small networks, under 3 minutes)
 *   rxception bench --mode ops ...   the op benchmark (bench/ops.ts)
 */
import { spawn, spawnSync } from 'child_process'
import { mkdirSync, writeFileSync } from 'fs'
import * as os from 'os'
import * as path from 'path'
import * as t from 'io-ts'
import { Flags, ValuesOf, intIn, listOf, oneOf, parseCommand, usageOf } from '../lib/flags'
import { MODEL_NAMES, ModelName } from '../modules'
import type { BenchCase, BenchRow } from './suite-types'
import { StepProfile, profileLines } from '../lib/train/step-profile'
import { startupFlags } from '../lib/platform'

export type { BenchRow } from './suite-types'
import { networkOf } from './network-of'
import { chartSvg } from './chart'
import { profileTitle, resultsMarkdown } from './results-markdown'

const ENGINES = ['tfjs-wasm', 'tfjs-cpu', 'ort-wasm', 'ort-native', 'torch'] as const
const SIZES = /^\d{1,4}:\d{1,4}:(infer|train)(,\d{1,4}:\d{1,4}:(infer|train))*$/

export const SUITE_FLAGS = {
  mode: { kind: 'string', codec: t.keyof({ networks: null, ops: null }), help: 'networks (this benchmark) or ops (the op benchmark; its own flags follow)' },
  models: { kind: 'strings', codec: listOf(MODEL_NAMES), help: 'networks (NAME-tiny: width 1/8, one block per stage)' },
  model: { kind: 'string', codec: t.union([oneOf(MODEL_NAMES), t.null], MODEL_NAMES.join(' | ')), help: 'one network (the same as --models NAME)' },
  imgSize: { kind: 'number', codec: t.union([intIn(8, 2048), t.null], 'an integer in [8, 2048]'), help: 'input size of every case (overrides the SIZE of --sizes)' },
  inChans: { kind: 'number', codec: t.union([t.literal(1), t.literal(3)], '1 | 3'), help: 'input channels (timm --in-chans)' },
  sizes: { kind: 'string', codec: t.refinement(t.string, v => SIZES.test(v), 'SIZE:BATCH:infer|train,...'), help: 'cases' },
  backends: { kind: 'strings', codec: listOf(['webasm', 'cpu', 'headlessgl', 'webgpu'] as const), help: "rxception's backends" },
  peers: { kind: 'strings', codec: listOf(ENGINES), help: 'peer engines: tfjs-wasm, tfjs-cpu, ort-wasm (ONNX Runtime Web in Node), ort-native (onnxruntime-node, where it installs), torch' },
  warmup: { kind: 'number', codec: intIn(0, 20), help: 'untimed runs first (they compile)' },
  reps: { kind: 'number', codec: intIn(1, 100), help: 'timed runs (median, min, max)' },
  numClasses: { kind: 'number', codec: intIn(2, 100000), help: 'classifier width (timm --num-classes)' },
  budget: { kind: 'number', codec: intIn(10, 86400), help: 'seconds one case may take before it is stopped' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'JSON output (the chart goes beside it as .svg)' },
  markdown: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'also write a results page (bench/RESULTS.md)' },
  quick: { kind: 'boolean', codec: t.boolean, help: 'small networks at 75x75 batch 8 against both TensorFlow.js backends' },
  detail: { kind: 'boolean', codec: t.boolean, help: "rxception rows: also profile the pass (a training step's forward, input gradient, filter gradient, batch norm, optimizer and time outside kernels; the slowest kernels)" },
} as const satisfies Flags

export const SUITE_DEFAULTS: ValuesOf<typeof SUITE_FLAGS> = {
  mode: 'networks', models: ['inception-v4'], model: null, imgSize: null, inChans: 3, sizes: '299:1:infer,75:8:train', backends: ['webasm'], peers: [],
  warmup: 1, reps: 3, numClasses: 1000, budget: 900, out: null, markdown: null, quick: false, detail: false,
}

/** The quick run's cases (the README's `rxception bench --quick`). */
const QUICK = { models: ['inception-resnet-v1-tiny', 'inception-resnet-v2-tiny'] as ModelName[], sizes: '75:8:infer,75:8:train', peers: ['tfjs-wasm', 'tfjs-cpu'] as const }

const log = (s: string) => process.stderr.write(s + '\n')

interface CaseOutcome {
  check?: { maxAbsLogitDiff: number | null; ok: boolean; detail: string }
  result?: { msPerBatch: number; minMs: number; maxMs: number; peakRssMiB: number; device: string }
  error?: string
  detail?: StepProfile
}

/** Runs one case in a child process, stopping it after `budget` seconds. */
const runCase = (c: BenchCase, budget: number): Promise<CaseOutcome> =>
  new Promise(resolve => {
    const script = require.resolve('./case')
    const loader = script.endsWith('.ts') && !process.execArgv.some(a => a.includes('tsx')) ? ['--import', 'tsx'] : []
    const child = spawn(process.execPath, [...process.execArgv, ...startupFlags(), ...loader, script, JSON.stringify(c)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const outcome: CaseOutcome = {}
    let buffer = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString()
      let i: number
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i)
        buffer = buffer.slice(i + 1)
        if (line.startsWith('{')) Object.assign(outcome, JSON.parse(line))
      }
    })
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    const timer = setTimeout(() => {
      outcome.error = `stopped after the ${budget} s budget${outcome.check ? ' (the check had passed)' : ''}: slower than ${c.batch}/${budget} images/s`
      child.kill('SIGKILL')
    }, budget * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (!outcome.result && !outcome.error) outcome.error = `${code === null ? `killed by ${signal}` : `exited ${code}`}: ${stderr.trim().split('\n').pop() ?? ''}`
      resolve(outcome)
    })
  })

const torchAvailable = (): boolean => spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0

/** Multiply-adds of one forward pass of a case (from the network's spec). */
const macsOf = (network: string, size: number, batch: number, classes: number, inChans: number): number =>
  networkOf({ network, classes }).spec([batch, size, size, inChans]).rows.reduce((a, r) => a + r.macs, 0)

const format = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits))

/** The printed table: one line per row, with each rxception row's speed ratio to every peer. */
export const tableOf = (rows: readonly BenchRow[], peers: readonly string[]): string[][] => {
  const head = ['engine', 'network', 'input', 'pass', 'images/s', 'ms/batch (min-max)', 'GFLOP/s', 'peak RSS MiB', 'load', 'check', ...peers.map(p => `× ${p}`)]
  const ratio = (r: BenchRow, peer: string) => {
    const p = rows.find(o => o.engine === peer && o.network === r.network && o.size === r.size && o.batch === r.batch && o.pass === r.pass)
    if (!p) return '—'
    if (p.imagesPerSecond === null || r.imagesPerSecond === null) return p.error ? 'peer failed' : '—'
    return `${(r.imagesPerSecond / p.imagesPerSecond).toFixed(2)}×`
  }
  return [head, ...rows.map(r => [
    r.engine === 'rxception' ? `rxception ${r.backend}` : r.engine, r.network, `${r.size}x${r.size}x${r.batch}`, r.pass,
    r.imagesPerSecond === null ? (r.error ?? '—') : r.imagesPerSecond.toPrecision(3),
    r.msPerBatch === null ? '—' : `${r.msPerBatch.toFixed(0)} (${format(r.minMs ?? null, 0)}-${format(r.maxMs ?? null, 0)})`,
    format(r.gflops, 1), format(r.peakRssMiB, 0), r.loadAverage.toFixed(2), r.checkPassed ? 'ok' : 'FAILED',
    ...peers.map(p => (r.engine === 'rxception' ? ratio(r, p) : '')),
  ])]
}

/**
 * Runs the network benchmark from command-line arguments (`rxception bench`).
 *
 * @example
 * await runNetworkBenchmark(['--quick'])
 */
export const runNetworkBenchmark = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help')) return console.log(`usage: rxception bench [options]\n${usageOf(SUITE_FLAGS, SUITE_DEFAULTS)}`)
  const modeAt = argv.indexOf('--mode')
  if (modeAt >= 0 && argv[modeAt + 1] === 'ops') {
    const { runOpBenchmark } = require('./ops') as typeof import('./ops')
    return runOpBenchmark([...argv.slice(0, modeAt), ...argv.slice(modeAt + 2)])
  }
  if (modeAt >= 0 && argv[modeAt + 1] === 'data') {
    const { runDataBenchmark } = require('./data') as typeof import('./data')
    return runDataBenchmark([...argv.slice(0, modeAt), ...argv.slice(modeAt + 2)])
  }
  const { values } = parseCommand('bench', argv, SUITE_FLAGS, SUITE_DEFAULTS)
  const chosen: typeof values = values.model ? { ...values, models: [values.model] } : values
  const v: typeof values = values.quick ? { ...chosen, models: QUICK.models, sizes: QUICK.sizes, peers: [...QUICK.peers] } : chosen
  const cases = v.sizes.split(',').map(s => {
    const [size, batch, pass] = s.split(':')
    return { size: v.imgSize ?? Number(size), batch: Number(batch), pass: pass as 'infer' | 'train', inChans: v.inChans }
  })
  const started = new Date()
  const rows: BenchRow[] = []
  const tmp = path.join(os.tmpdir(), `rxception-bench-${process.pid}`)
  mkdirSync(tmp, { recursive: true })
  const hasTorch = v.peers.includes('torch') && torchAvailable()
  for (const network of v.models) {
    for (const c of cases) {
      const macs = macsOf(network, c.size, c.batch, v.numClasses, c.inChans) * (c.pass === 'train' ? 3 : 1)
      const reference = path.join(tmp, `${network}-${c.size}-${c.inChans}-${c.batch}-${c.pass}.json`)
      const engines = [...v.backends.map(b => ({ engine: 'rxception' as const, backend: b })), ...v.peers.map(p => ({ engine: p, backend: p }))]
      for (const e of engines) {
        const bc: BenchCase = { ...e, network, classes: v.numClasses, ...c, warmup: v.warmup, reps: v.reps, reference, ...(v.detail && e.engine === 'rxception' ? { detail: true } : {}) }
        const loadAverage = os.loadavg()[0]!
        log(`${e.engine === 'rxception' ? `rxception ${e.backend}` : e.engine}: ${network} ${c.size}x${c.size} batch ${c.batch} ${c.pass} …`)
        const outcome: CaseOutcome = e.engine === 'torch'
          ? { error: hasTorch ? 'the PyTorch peer is not written yet (python3-torch found)' : 'python3-torch is not installed (apt install python3-torch)' }
          : await runCase(bc, v.budget)
        const ms = outcome.result?.msPerBatch ?? null
        const row: BenchRow = {
          engine: e.engine, backend: e.backend, network, size: c.size, batch: c.batch, pass: c.pass,
          imagesPerSecond: ms === null ? null : (c.batch * 1000) / ms, msPerBatch: ms,
          ...(outcome.result ? { minMs: outcome.result.minMs, maxMs: outcome.result.maxMs } : {}),
          gflops: ms === null ? null : (2 * macs) / ms / 1e6, peakRssMiB: outcome.result?.peakRssMiB ?? null,
          maxAbsLogitDiff: e.engine === 'rxception' ? null : (outcome.check?.maxAbsLogitDiff ?? null),
          check: outcome.check?.detail ?? '—', checkPassed: outcome.check ? outcome.check.ok : true,
          ...(outcome.error ? { error: outcome.error } : outcome.check && !outcome.check.ok ? { error: 'the check against rxception failed' } : {}),
          loadAverage,
          ...(outcome.detail ? { profile: outcome.detail } : {}),
        }
        rows.push(row)
        log(`  ${row.error ?? `${row.imagesPerSecond!.toPrecision(3)} images/s, peak ${row.peakRssMiB!.toFixed(0)} MiB`}${row.maxAbsLogitDiff !== null ? `, max |logit diff| ${row.maxAbsLogitDiff.toExponential(1)}` : ''}`)
        if (e.engine === 'rxception' && !outcome.result) break // no reference for the peers
      }
    }
  }
  const command = `rxception bench ${argv.join(' ')}`.trim()
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, node: process.version }
  const table = tableOf(rows, v.peers)
  const widths = table[0]!.map((_, i) => Math.max(...table.map(l => l[i]!.length)))
  console.log(table.map(l => l.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'))
  for (const r of rows) if (r.profile) console.log(`\n${profileTitle(r)}\n${profileLines(r.profile).join('\n')}`)
  const out = v.out ?? path.join('bench', 'results', `networks-${started.toISOString().replace(/[:.]/g, '-')}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ machine, date: started.toISOString(), command, rows }, null, 2))
  const svg = out.replace(/\.json$/, '') + '.svg'
  writeFileSync(svg, chartSvg(rows))
  console.log(`\nwritten ${out} and ${svg}`)
  if (v.markdown) {
    writeFileSync(v.markdown, resultsMarkdown({ machine, date: started.toISOString(), command, rows, peers: v.peers, chart: path.relative(path.dirname(v.markdown), svg), table }))
    console.log(`written ${v.markdown}`)
  }
  const failed = rows.filter(r => !r.checkPassed)
  if (failed.length) throw new Error(`${failed.length} row(s) failed the check against rxception: ${failed.map(r => `${r.engine} ${r.network} ${r.size}:${r.batch}:${r.pass}`).join(', ')}`)
}
