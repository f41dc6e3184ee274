/**
 * Per-network benchmark (issue 3): images/s and peak memory for inference at 299x299 batch 1, and
 * inference and one training step (forward, softmax cross-entropy, backward) at 75x75 batch 8, for
 * each network on each backend asked for. Each row is timed after one warm-up run (which compiles
 * the kernels). Writes JSON next to the op benchmark's.
 *
 *   npm run bench:networks -- [--backends webasm,cpu] [--models inception-v4,...] [--reps 1]
 *                             [--sizes 299:1:infer,75:8:infer,75:8:train] [--out FILE]
 */
import { mkdirSync, writeFileSync } from 'fs'
import * as path from 'path'
import * as t from 'io-ts'
import { ConcreteMode, createBackend } from '../lib/backend'
import { Flags, ValuesOf, intIn, listOf, parseCommand } from '../pipelines/flags'
import { runBenchScript } from './script'
import { countSpec } from '../lib/nn'
import { softmaxCrossEntropy } from '../lib/ops'
import { foldInName, keyFromSeed, normal } from '../lib/tensor'
import { NETWORKS } from '../modules'

const SIZES = /^\d{1,4}:\d{1,4}:(infer|train)(,\d{1,4}:\d{1,4}:(infer|train))*$/
const NETWORKS_FLAGS = {
  backends: { kind: 'strings', codec: listOf(['webasm', 'cpu', 'headlessgl', 'webgpu'] as const), help: 'gpu.js backends' },
  models: { kind: 'strings', codec: listOf(Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]), help: 'networks' },
  sizes: { kind: 'string', codec: t.refinement(t.string, v => SIZES.test(v), 'SIZE:BATCH:infer|train,...'), help: 'cases' },
  reps: { kind: 'number', codec: intIn(1, 100), help: 'timed repetitions (median)' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'JSON output' },
} as const satisfies Flags
const NETWORKS_DEFAULTS: ValuesOf<typeof NETWORKS_FLAGS> = {
  backends: ['webasm'], models: Object.keys(NETWORKS) as (keyof typeof NETWORKS)[], sizes: '299:1:infer,75:8:infer,75:8:train', reps: 1, out: null,
}
const log = (s: string) => process.stderr.write(s + '\n')

interface Case {
  readonly size: number
  readonly batch: number
  readonly mode: 'infer' | 'train'
}

const parseCases = (s: string): Case[] =>
  s.split(',').map(c => {
    const [size, batch, mode] = c.split(':')
    if (!size || !batch || (mode !== 'infer' && mode !== 'train')) throw new Error(`--sizes: expected SIZE:BATCH:infer|train, got '${c}'`)
    return { size: Number(size), batch: Number(batch), mode }
  })

/** Runs f while sampling the resident set size; returns f's time and the peak RSS seen. */
const measure = async (f: () => Promise<void>): Promise<{ ms: number; peakMiB: number }> => {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const t0 = performance.now()
  await f()
  const ms = performance.now() - t0
  clearInterval(timer)
  return { ms, peakMiB: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 }
}

const main = async (argv: readonly string[]) => {
  const { values } = parseCommand('bench:networks', argv, NETWORKS_FLAGS, NETWORKS_DEFAULTS)
  const modes: ConcreteMode[] = values.backends
  const models = values.models
  const cases = parseCases(values.sizes)
  const reps = values.reps
  const rows: Record<string, unknown>[] = []
  const lines: string[][] = [['backend', 'network', 'input', 'pass', 'images/s', 's/batch', 'peak RSS MiB', 'GMACs/image']]
  for (const mode of modes) {
    for (const model of models) {
      // A fresh backend per network: every compiled webasm kernel keeps its own wasm memory, so the
      // peak below is this network's, not the sum of everything compiled before it.
      const be = await createBackend(mode)
      for (const c of cases) {
        const net = NETWORKS[model]({ dropoutKeep: 1 })
        const shape = [c.batch, c.size, c.size, 3]
        const spec = net.spec(shape)
        const gmacs = spec.rows.reduce((a, r) => a + r.macs, 0) / c.batch / 1e9
        log(`${mode}: ${model} ${c.size}x${c.size} batch ${c.batch} ${c.mode} (${(countSpec(spec.params) / 1e6).toFixed(1)} M parameters) …`)
        const key = keyFromSeed(1)
        const { params, state } = net.init(key, shape)
        const x = normal(foldInName(key, 'x'), shape)
        const labels = Array.from({ length: c.batch }, (_, i) => i % 1000)
        const run = async () => {
          const a = await net.apply(params, state, x, { training: c.mode === 'train', key, backend: be })()
          if (c.mode === 'train') {
            const loss = await softmaxCrossEntropy(a.y, labels, 0.1, be)
            await a.backward(loss.dlogits)()
          }
        }
        await run()
        const times: { ms: number; peakMiB: number }[] = []
        for (let i = 0; i < reps; i++) times.push(await measure(run))
        const ms = times.map(t => t.ms).sort((a, b) => a - b)[Math.floor(times.length / 2)]!
        const peakMiB = Math.max(...times.map(t => t.peakMiB))
        const row = { backend: mode, device: be.device, network: model, size: c.size, batch: c.batch, pass: c.mode, ms, imagesPerSecond: (c.batch * 1000) / ms, peakMiB, gmacsPerImage: gmacs }
        rows.push(row)
        lines.push([mode, model, `${c.size}x${c.size}x${c.batch}`, c.mode, row.imagesPerSecond.toFixed(2), (ms / 1000).toFixed(1), peakMiB.toFixed(0), gmacs.toFixed(2)])
      }
      await be.destroy()
    }
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map(l => l[i]!.length)))
  console.log(lines.map(l => l.map((v, i) => v.padEnd(widths[i]!)).join('  ')).join('\n'))
  const out = values.out ?? path.join('bench', 'results', `networks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, reps, rows }, null, 2))
  console.log(`\nwritten ${out}`)
}

runBenchScript(() => main(process.argv.slice(2)))
