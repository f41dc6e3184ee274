import test from 'ava'
import { spawnSync } from 'child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { parse, stringify } from 'yaml'
import { DEFAULT_CONFIG, TrainConfig, decodeConfig } from '../../pipelines/config'
import { runTraining } from '../../pipelines/train'
import { readConfigFile } from '../../pipelines/train-flags'
import { toTimmArgs } from '../../pipelines/timm-args'
import { SUMMARY_COLUMNS } from '../../pipelines/timm-run-files'
import { backendFor } from '../helpers/backends'
import { PYTHON } from '../helpers/wds'

/** timm's own train.py parser (test/fixtures/timm_args.py, timm from ../shared/vendor/timm). */
const timm = (mode: 'read' | 'write', ...args: string[]) => {
  const r = spawnSync(PYTHON, [path.join(__dirname, '..', 'fixtures', 'timm_args.py'), mode, ...args], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`timm_args.py ${mode}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`)
  return r.stdout
}

const tmp = (name: string) => path.join(mkdtempSync(path.join(tmpdir(), 'rxc-timm-')), name)

/** A configuration far from the defaults, with values timm's keys cannot carry (constant schedule, 0 workers, an rxception-only model). */
const unusual: TrainConfig = decodeConfig({
  model: 'inception-resnet-v1-tiny', width: 0.0625, batchSize: 8, epochs: 3, lr: 0.01, opt: 'sgd', momentum: 0.8, weightDecay: 1e-4, sched: 'constant',
  warmupEpochs: 1, smoothing: 0, drop: 0.2, bnMomentum: 0.01, seed: 7, inChans: 3, imgSize: 40, hflip: 0.5, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
  scale: [0.2, 1], interpolation: 'bicubic', cropPct: 0.9, workers: 0, prefetch: 3, shuffleBuffer: 50, data: 'wds:/data/train-{000000..000009}.tar', valData: 'folder:/data/val',
  onBadRecord: 'skip', evalBatchSize: 16, clipGrad: 5, logInterval: 7,
}, 'test')

test("args.yaml round trip: rxception's options through timm's vocabulary come back unchanged, and timm's own parser takes the file with rxception's values", t => {
  for (const c of [DEFAULT_CONFIG, unusual]) {
    const file = tmp('args.yaml')
    writeFileSync(file, stringify(toTimmArgs(c, 10)))
    const back = decodeConfig(readConfigFile(file, () => t.fail('no warnings for a file rxception wrote')), 'args.yaml')
    t.deepEqual(back, c)
    const args = JSON.parse(timm('read', file)) as Record<string, unknown>
    t.is(args.batch_size, c.batchSize)
    t.is(args.epochs, c.epochs)
    t.is(args.lr, c.lr)
    t.is(args.opt, c.opt === 'sgd' ? 'momentum' : c.opt)
    t.is(args.weight_decay, c.weightDecay)
    t.is(args.img_size, c.imgSize)
    t.is(args.color_jitter, 0, "rxception has no colour jitter: timm's default 0.4 is written off")
    t.is(args.sched_on_updates, true, 'the schedule steps per update, as rxception')
    t.is(args.bn_momentum, null, "timm's Inception constructors take no bn_momentum")
    t.is(args.rxception_bn_momentum, c.bnMomentum, 'what timm has no key for travels under rxception_')
  }
  t.is(JSON.parse(timm('read', (() => {
    const f = tmp('a.yaml')
    writeFileSync(f, stringify(toTimmArgs(unusual, 10)))
    return f
  })())).decay_rate, 1, 'a constant schedule is a staircase that never decays')
})

test("timm's own args.yaml: its keys become rxception's options, timm features rxception lacks are reported, an unknown key is refused", t => {
  const file = tmp('args.yaml')
  writeFileSync(file, timm('write', '--model', 'inception_v4', '--opt', 'rmsproptf', '--opt-eps', '1.0', '--lr', '0.045', '--sched', 'step', '--decay-epochs', '2', '--decay-rate', '0.94',
    '--warmup-epochs', '0', '--weight-decay', '4e-5', '-b', '16', '--epochs', '4', '--img-size', '96', '--num-classes', '5', '--data-dir', '/data/photos', '--mixup', '0.2'))
  const warnings: string[] = []
  const c = decodeConfig(readConfigFile(file, w => warnings.push(w)), 'args.yaml')
  t.is(c.model, 'inception-v4')
  t.is(c.opt, 'rmsproptf')
  t.is(c.optEps, 1)
  t.is(c.lr, 0.045)
  t.is(c.sched, 'step')
  t.is(c.decayRate, 0.94)
  t.is(c.batchSize, 16)
  t.is(c.imgSize, 96)
  t.is(c.numClasses, 5)
  t.is(c.data, 'folder:/data/photos')
  t.is(c.hflip, 0.5, "timm's default flip")
  t.true(warnings.some(w => /color_jitter: 0\.4 is a timm feature rxception does not have/.test(w)), warnings.join('\n'))
  t.true(warnings.some(w => /mixup: 0\.2/.test(w)))
  t.true(warnings.some(w => /sched_on_updates: false/.test(w)), 'timm stepped per epoch: said, since rxception steps per update')
  const odd = tmp('odd.yaml')
  writeFileSync(odd, stringify({ ...parse(readFileSync(file, 'utf8')), lr_scheduler_magic: 3 }))
  t.throws(() => readConfigFile(odd, () => undefined), { message: /unknown option 'lr_scheduler_magic' \(neither timm's train.py nor rxception has it\)/ })
})

test("a training run's folder is a timm run's folder: args.yaml, summary.csv in timm's columns per epoch, timm's log line shape", async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-timm-run-'))
  const data = path.join(dir, 'd.ndjson')
  writeFileSync(data, Array.from({ length: 40 }, (_, i) => JSON.stringify({ pixels: Array.from({ length: 64 }, (_, j) => ((i * 7 + j) % 5) / 4), shape: [8, 8, 1], label: i % 2 })).join('\n'))
  const out = path.join(dir, 'run')
  const config = decodeConfig({ data: `ndjson:${data}`, valSplit: 0.2, width: 0.0625, batchSize: 8, epochs: 2, logInterval: 2, output: out, backend: 'webasm' }, 'test')
  const logs: string[] = []
  await runTraining(config, await backendFor('webasm'), { log: l => logs.push(l) })
  t.deepEqual(decodeConfig(readConfigFile(path.join(out, 'args.yaml')), 'args.yaml'), config)
  const rows = readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n').map(l => l.split(','))
  t.deepEqual(rows[0], [...SUMMARY_COLUMNS])
  t.deepEqual(rows.slice(1).map(r => Number(r[0])), [0, 1], 'one row per epoch, numbered from 0 as timm')
  const evals = readFileSync(path.join(out, 'events.ndjson'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { type: string; top1: number; loss: number }).filter(e => e.type === 'eval')
  t.deepEqual(rows.slice(1).map(r => Number(r[3])), evals.map(e => 100 * e.top1))
  t.deepEqual(rows.slice(1).map(r => Number(r[2])), evals.map(e => e.loss))
  // 32 training examples, batch 8: 4 updates an epoch; lines at updates 0 and 2 and the last (3)
  const lines = logs.filter(l => l.startsWith('Train: '))
  t.is(lines.length, 6, lines.join('\n'))
  t.regex(lines[0]!, /^Train: 0 \[ {3}0\/4 \( 25%\)\] {2}Loss: \d\.\d\d \(\d\.\d\d\) {2}Time: \d+\.\d{3}s, +\d+\.\d\d\/s {2}\(\d+\.\d{3}s, +\d+\.\d\d\/s\) {2}LR: 4\.500e-02$/)
  t.regex(lines[5]!, /^Train: 1 \[ {3}3\/4 \(100%\)\]/)
})
