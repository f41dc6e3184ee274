/**
 * The op benchmark: GFLOP/s of matmul and the two Inception convolution workloads, forward and both
 * gradients, on every gpu.js backend this machine offers and on TensorFlow.js (cpu, wasm) in the
 * same run, with ratios. Prints a table and writes JSON (bench/results/ops-<time>.json).
 *
 *   npm run bench -- [--backends webasm,cpu] [--peers tfjs-cpu,tfjs-wasm] [--reps 3] [--out FILE]
 *   (the same as `rxception bench ...`)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs'
import * as os from 'os'
import * as path from 'path'
import * as t from 'io-ts'
import { ConcreteMode, availability, createBackend } from '../lib/backend'
import { Flags, ValuesOf, intIn, listOf, parseCommand, usageOf } from '../lib/flags'
import { relu } from '../lib/ops'
import { Tensor } from '../lib/tensor'
import { runBenchScript } from './script'
import { gpujsPass } from './gpujs'
import { TfBackend, tfPass, useTf } from './tfjs'
import { PASSES, Pass, WORKLOADS, timeMedian } from './workloads'
import { serveDir } from '../pipelines/serve'
import { launchChromium } from './chromium'

interface Row {
  readonly workload: string
  readonly pass: Pass
  readonly backend: string
  readonly ms?: number
  readonly gflops?: number
  readonly note?: string
}

const CONCRETE: readonly ConcreteMode[] = ['webasm', 'cpu', 'headlessgl', 'webgpu']

export const OPS_FLAGS = {
  backends: { kind: 'strings', codec: t.union([listOf(CONCRETE), t.null], `a comma list of ${CONCRETE.join(' | ')}`), help: 'gpu.js backends (default: every available one)' },
  peers: { kind: 'strings', codec: listOf(['tfjs-cpu', 'tfjs-wasm'] as const), help: 'TensorFlow.js peers' },
  reps: { kind: 'number', codec: intIn(1, 100), help: 'timed repetitions (median)' },
  browser: { kind: 'boolean', codec: t.boolean, help: 'also run webasm inside headless Chromium (the same kernels, bundled), as chromium-webasm' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'JSON output (default bench/results/ops-<time>.json)' },
} as const satisfies Flags
const OPS_DEFAULTS: ValuesOf<typeof OPS_FLAGS> = { backends: null, peers: ['tfjs-cpu', 'tfjs-wasm'], reps: 3, out: null, browser: false }

const log = (s: string) => process.stderr.write(s + '\n')

/** A peer pass whose full batch would take longer than this is extrapolated from batch 1. */
const SLOW_MS = 20000

export const runOpBenchmark = async (argv: readonly string[]) => {
  if (argv.includes('--help')) return console.log(`usage: rxception bench [options]\n${usageOf(OPS_FLAGS, OPS_DEFAULTS)}`)
  const { values } = parseCommand('bench', argv, OPS_FLAGS, OPS_DEFAULTS)
  const reps = values.reps
  // beside the figures, so a reader can tell a loaded machine's run from a quiet one's
  const loadAtStart = os.loadavg()[0]!
  // software GPUs (llvmpipe, SwiftShader) only when asked for by name: correct, but 10-100× slower
  // than webasm; modes named on the command line are not probed first (createBackend says why one fails)
  const modes = values.backends ?? (await availability()).filter(a => a.probe.available && !a.probe.software).map(a => a.mode)
  const peers: TfBackend[] = values.peers
  const rows: Row[] = []
  const devices: Record<string, string> = {}

  const fixed: { backend: string; values: number; microseconds: number }[] = []
  for (const mode of modes) {
    const be = await createBackend(mode)
    devices[mode] = be.device
    // the fixed cost of one kernel call: a ReLU over 64 values (run on the calling thread) and over
    // 4,096 (the smallest size webasm hands to its worker pool); the work itself is negligible
    for (const n of [64, 4096]) {
      const x = Tensor.adopt([n / 64, 64], new Float32Array(n).fill(1))
      for (let i = 0; i < 20; i++) await relu(x, be)
      const calls = 200
      const t0 = performance.now()
      for (let i = 0; i < calls; i++) await relu(x, be)
      fixed.push({ backend: mode, values: n, microseconds: ((performance.now() - t0) * 1000) / calls })
    }
    for (const w of WORKLOADS) for (const pass of PASSES) {
      log(`${mode}: ${w.name} ${pass} …`)
      const ms = await timeMedian(reps, gpujsPass(be, w, pass))
      rows.push({ workload: w.name, pass, backend: mode, ms, gflops: w.flops / ms / 1e6 })
    }
    await be.destroy()
  }
  if (values.browser) {
    log('chromium-webasm: the same passes in headless Chromium …')
    const page = await browserWebasm(reps)
    devices['chromium-webasm'] = `Chromium, ${page.device}, ${page.threads} threads`
    for (const r of page.rows) {
      const w = WORKLOADS.find(x => x.name === r.workload)!
      rows.push({ workload: r.workload, pass: r.pass as Pass, backend: 'chromium-webasm', ms: r.ms, gflops: w.flops / r.ms / 1e6 })
    }
    modes.push('chromium-webasm' as ConcreteMode)
  }
  for (const peer of peers) {
    const tf = await useTf(peer)
    devices[peer] = `TensorFlow.js ${tf.version_core} (${tf.getBackend()})`
    for (const w of WORKLOADS) for (const pass of PASSES) {
      log(`${peer}: ${w.name} ${pass} …`)
      const run = tfPass(tf, w, pass)
      if (typeof run === 'string') {
        rows.push({ workload: w.name, pass, backend: peer, note: run })
        continue
      }
      // Some tfjs-cpu gradients are naive loops (Conv2DBackpropFilter: about 0.007 GFLOP/s, four
      // minutes per batch-8 call). Time one batch-1 call first; when it is slow, report it scaled
      // to the full batch (these kernels are linear in the batch) and say so in the row.
      const batch = w.dims[0]!
      if (w.kind === 'conv' && batch > 1) {
        const probe = tfPass(tf, w, pass, 1) as () => Promise<unknown>
        const t0 = performance.now()
        await probe()
        const one = performance.now() - t0
        if (one * batch > SLOW_MS) {
          const ms = one * batch
          rows.push({ workload: w.name, pass, backend: peer, ms, gflops: w.flops / ms / 1e6, note: `extrapolated from one batch-1 call (${(one / 1000).toFixed(1)} s)` })
          continue
        }
      }
      const ms = await timeMedian(reps, run)
      rows.push({ workload: w.name, pass, backend: peer, ms, gflops: w.flops / ms / 1e6 })
    }
  }

  const backends = [...modes, ...peers]
  const cell = (w: string, p: Pass, b: string) => rows.find(r => r.workload === w && r.pass === p && r.backend === b)
  const ratios: { workload: string; pass: Pass; of: string; to: string; ratio: number }[] = []
  const vsNode = values.browser && modes.includes('webasm')
  const header = ['workload', 'pass', ...backends.map(b => `${b} GFLOP/s`), ...modes.flatMap(m => peers.map(p => `${m}/${p}`)), ...(vsNode ? ['chromium/node webasm'] : [])]
  const lines = [header]
  for (const w of WORKLOADS) for (const p of PASSES) {
    const g = backends.map(b => cell(w.name, p, b)?.gflops)
    const rs = modes.flatMap(m => peers.map(peer => {
      const a = cell(w.name, p, m)?.gflops
      const b = cell(w.name, p, peer)?.gflops
      if (a && b) ratios.push({ workload: w.name, pass: p, of: m, to: peer, ratio: a / b })
      return a && b ? `${(a / b).toFixed(2)}×` : 'n/a'
    }))
    const page = cell(w.name, p, 'chromium-webasm')?.gflops
    const node = cell(w.name, p, 'webasm')?.gflops
    if (vsNode && page && node) ratios.push({ workload: w.name, pass: p, of: 'chromium-webasm', to: 'webasm', ratio: page / node })
    lines.push([w.name, p, ...g.map(v => (v ? v.toFixed(2) : 'n/a')), ...rs, ...(vsNode ? [page && node ? `${(page / node).toFixed(2)}×` : 'n/a'] : [])])
  }
  const widths = header.map((_, i) => Math.max(...lines.map(l => l[i]!.length)))
  console.log(lines.map(l => l.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'))
  const gradRatios = modes.flatMap(m => WORKLOADS.flatMap(w => (['input grad', 'filter grad'] as const).map(p => {
    const f = cell(w.name, 'forward', m)?.ms
    const g = cell(w.name, p, m)?.ms
    return f && g ? `${m} ${w.name} ${p}: ${(g / f).toFixed(2)}× forward time` : undefined
  }))).filter(Boolean)
  console.log('\n' + gradRatios.join('\n'))
  console.log('\nfixed cost per kernel call (a ReLU; mean of 200 calls after 20 warm-up ones):\n' + fixed.map(f => `${f.backend} ${f.values} values: ${f.microseconds.toFixed(0)} µs`).join('\n'))
  const notes = rows.filter(r => r.note).map(r => `${r.backend} ${r.workload} ${r.pass}: ${r.note}`)
  if (notes.length) console.log('\nnotes:\n' + notes.join('\n'))

  const loadAverage = { start: loadAtStart, end: os.loadavg()[0]! }
  console.log(`\nload average (1 min): ${loadAverage.start.toFixed(2)} at the start, ${loadAverage.end.toFixed(2)} at the end`)

  const out = values.out ?? path.join('bench', 'results', `ops-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({
    date: new Date().toISOString(), host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAverage },
    reps, devices, rows, ratios, fixedCostPerCall: fixed,
  }, null, 2))
  console.log(`\nwritten ${out}`)
}

/** The gpu.js passes in headless Chromium on webasm, served cross-origin isolated (threads on). */
const browserWebasm = async (reps: number): Promise<{ device: string; threads: number; rows: { workload: string; pass: string; ms: number }[] }> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rx-bench-'))
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bundleForBrowser } = require('../bin/browser-bundle.cjs') as { bundleForBrowser(o: object): Promise<unknown> }
  await bundleForBrowser({ entry: 'bench/browser-harness.ts', outfile: path.join(dir, 'bench.js'), format: 'iife' })
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bench</title><script src="bench.js"></script>')
  const { server, url } = await serveDir(dir, 0)
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    await page.goto(url, { waitUntil: 'load' })
    return await page.evaluate((r: number) => (globalThis as any).rxBench.run('webasm', r), reps)
  } finally {
    await browser.close()
    server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (require.main === module) runBenchScript(() => runOpBenchmark(process.argv.slice(2)))
