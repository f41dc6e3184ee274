import { spawnSync } from 'child_process'
import { writeFileSync } from 'fs'
import * as os from 'os'
import * as path from 'path'
import * as t from 'io-ts'
import { EpochPlan, ImageTransform, dataWorkers, decoderName, defaultWorkers, openSource, orderCache, prefetching, stepsPerEpoch, trainingBatch } from '../lib/data'
import { Flags, ValuesOf, intIn, parseCommand, usageOf } from '../lib/flags'
import { keyFromSeed } from '../lib/tensor'
import { photoFolder } from './photo-folder'

/**
 * `rxception bench --mode data`: decode + RandomResizedCrop + flip + normalise into batches, with
 * 1, 2 and N data workers, against torchvision's ImageFolder + DataLoader with the same worker
 * counts on the same files (python3-torchvision), in one run: images/s and peak RSS. Each
 * configuration runs in a process of its own, so each peak RSS is its own.
 */
export const DATA_FLAGS = {
  dataDir: { kind: 'string', codec: t.union([t.string, t.null], 'a folder'), help: 'an ImageFolder to read (default: generate one in the temp folder)' },
  images: { kind: 'number', codec: intIn(64, 1_000_000), help: 'JPEGs to generate (about 500x375, quality 90)' },
  size: { kind: 'number', codec: intIn(8, 1024), help: 'RandomResizedCrop output size' },
  batchSize: { kind: 'number', codec: intIn(1, 4096), help: 'images per batch' },
  workers: { kind: 'numbers', codec: t.union([t.array(intIn(1, 64)), t.null], 'a comma list of worker counts'), help: 'worker counts (default 1, 2 and the default count)' },
  peers: { kind: 'strings', codec: t.array(t.literal('torchvision')), help: 'torchvision, or none (--peers with no value is refused)' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'also write the rows as JSON' },
  one: { kind: 'string', codec: t.union([t.string, t.null], 'ENGINE:WORKERS'), help: '(internal) run one configuration and print its JSON' },
} as const satisfies Flags
const DATA_DEFAULTS: ValuesOf<typeof DATA_FLAGS> = { dataDir: null, images: 1024, size: 299, batchSize: 32, workers: null, peers: ['torchvision'], out: null, one: null }

interface DataRow { readonly engine: string; readonly workers: number; readonly imagesPerSecond: number; readonly peakRssMiB: number; readonly images: number; readonly loadAverage: number }

/** rxception's side: every image of the folder once, in batches, prepared `ahead` batches ahead. */
const rxceptionOnce = async (dir: string, workers: number, batchSize: number, size: number) => {
  const { dataset } = await openSource(`folder:${dir}`, { onBad: 'fail' })
  const image: ImageTransform = { size, channels: 3, interpolation: 'bilinear', crop: { kind: 'random-resized', scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, hflip: 0.5, mean: [0.5], std: [0.5] }
  const pool = dataWorkers(workers)
  const key = keyFromSeed(1)
  const plan: EpochPlan = { batchSize, key, shuffle: true, prepare: e => e, image, workers: pool }
  // one epoch, as training reads it
  const steps = stepsPerEpoch(dataset, batchSize)
  const order = orderCache(dataset, plan)
  const read = prefetching(s => trainingBatch(dataset, plan, s, order), 0, steps, Math.max(2, workers))
  await read.next()
  const start = performance.now()
  let n = 0
  for (let s = 1; s < steps; s++) n += (await read.next()!).labels.length
  const seconds = (performance.now() - start) / 1000
  await pool.close()
  return { imagesPerSecond: n / seconds, images: n, peakRssMiB: process.resourceUsage().maxRSS / 1024 }
}

/**
 * Runs the data benchmark from command-line arguments.
 *
 * @example
 * await runDataBenchmark(['--images', '256', '--workers', '1,2'])
 */
export const runDataBenchmark = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help')) return console.log(`usage: rxception bench --mode data [options]\n${usageOf(DATA_FLAGS, DATA_DEFAULTS)}`)
  const { values: v } = parseCommand('bench', argv, DATA_FLAGS, DATA_DEFAULTS)
  const dir = v.dataDir ?? path.join(os.tmpdir(), `rxception-photos-${v.images}`)
  if (v.one) {
    const [, w] = v.one.split(':')
    console.log(JSON.stringify(await rxceptionOnce(dir, Number(w), v.batchSize, v.size)))
    return
  }
  if (!v.dataDir) {
    console.error(`generating ${v.images} JPEGs in ${dir} (kept for the next run)`)
    await photoFolder(dir, v.images)
  }
  const counts = v.workers ?? [...new Set([1, 2, defaultWorkers(), os.cpus().length])].sort((a, b) => a - b)
  const rows: DataRow[] = []
  const bin = path.join(__dirname, '..', 'bin', 'rxception.js')
  for (const w of counts) {
    // interleaved: rxception then its peer at each worker count, on the same files
    const runs = [{ engine: `rxception (${decoderName()})`, cmd: process.execPath, args: [bin, 'bench', '--mode', 'data', '--data-dir', dir, '--one', `rxception:${w}`, '--batch-size', String(v.batchSize), '--size', String(v.size)] }]
    if (v.peers.includes('torchvision')) runs.push({ engine: 'torchvision', cmd: '/usr/bin/python3', args: [path.join(__dirname, 'peers', 'torchvision_data.py'), dir, String(w), String(v.batchSize), String(v.size)] })
    for (const r of runs) {
      const loadAverage = os.loadavg()[0]!
      console.error(`${r.engine}, ${w} worker${w > 1 ? 's' : ''} …`)
      const p = spawnSync(r.cmd, r.args, { encoding: 'utf8', timeout: 3_600_000 })
      if (p.status !== 0) throw new Error(`bench --mode data: ${r.engine} with ${w} workers failed: ${(p.stderr || p.error?.message || '').trim().split('\n').pop()}`)
      const j = JSON.parse(p.stdout.trim().split('\n').pop()!) as Omit<DataRow, 'engine' | 'workers' | 'loadAverage'>
      rows.push({ engine: r.engine, workers: w, loadAverage, ...j })
    }
  }
  console.log(`| engine | workers | images/s | peak RSS (MiB) | load average |\n|---|---|---|---|---|`)
  for (const r of rows) console.log(`| ${r.engine} | ${r.workers} | ${r.imagesPerSecond.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${r.loadAverage.toFixed(2)} |`)
  if (v.out) writeFileSync(v.out, `${JSON.stringify({ date: new Date().toISOString(), dir, size: v.size, batchSize: v.batchSize, rows }, null, 2)}\n`)
}
