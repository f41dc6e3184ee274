import { readFileSync } from 'fs'
import { isLeft } from 'fp-ts/Either'
import * as t from 'io-ts'
import { Backend, createBackend } from '../lib/backend'
import { CROP_MODES, CropMode, DataWorkers, dataWorkers, defaultWorkers, recordViews, shardDataset, shardOf, isStream } from '../lib/data'
import { importStateDict, writeTextAtomic } from '../lib/io'
import { Counts, evaluateCounts, mergeCounts, metricsOfCounts } from '../lib/train'
import { countParameters } from '../lib/tree'
import { ConfigError, TrainConfig } from './config'
import { Flags, ValuesOf, decodeFlags, oneOf, parseCommand } from '../lib/flags'
import { TRAIN_USAGE, parseTrainFlagsWith } from './train-flags'
import { buildNetwork, classesInWeights, inputShape, openData, preprocessing, readWeights } from './train-setup'
import { evaluationProgress } from './evaluate-progress'

/**
 * `rxception evaluate --weights FILE [--weights FILE2 ...] [--crops centre|10|12|144] [--crop-pct P]
 * [--shard I/N] [--out FILE.json] [--results-file F --results-format csv|json] [model and data
 * options as for train]`, or `rxception evaluate --merge part-*.json`.
 * Several weight files make an ensemble: softmax probabilities averaged over crops and models.
 * Prints (and writes) top-1, top-5, loss, the confusion matrix and the counts they come from.
 */
export interface EvaluateFlags {
  /** Weight files (timm names); several make an ensemble. */
  readonly weights: readonly string[]
  /** centre | 10 | 12 | 144 (lib/data/crops.ts). */
  readonly crops: CropMode
  /** Also write the JSON result there. */
  readonly out?: string
  /** timm validate.py's results file (model, top1, top1_err, top5, top5_err, param_count, img_size, crop_pct, interpolation). */
  readonly resultsFile?: string
  readonly resultsFormat: 'csv' | 'json'
}

export const EVALUATE_USAGE = `usage: rxception evaluate --weights FILE.safetensors [--weights FILE2 ...] [options]
       rxception evaluate --merge part-0.json part-1.json ...
  --crops MODE         centre (default) | 10 | 12 | 144 (see lib/data/crops.ts for the geometry)
  --crop-pct P         shorter side resized to floor(S / P) before cropping (default: the model's, else 0.875)
  --shard I/N          evaluate part I of N (RANK/WORLD_SIZE when set); the result holds counts to --merge
  --out FILE.json      also write the result there
  --results-file F     timm validate.py's results (--results-format csv | json, default csv)
  --config RUN/config.json and the train options choose the network and the data: evaluates
  --val-data, else mnist's held-out split for --data mnist, else --data`

export const EVALUATE_FLAGS = {
  weights: { kind: 'strings', codec: t.array(t.string, 'one or more .safetensors files'), help: 'weights (repeat for an ensemble)' },
  crops: { kind: 'string', codec: oneOf(CROP_MODES), help: 'centre | 10 | 12 | 144' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'also write the JSON there' },
  resultsFile: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: "timm validate.py's results file" },
  resultsFormat: { kind: 'string', codec: oneOf(['csv', 'json'] as const), help: 'csv | json' },
} as const satisfies Flags
const EVALUATE_DEFAULTS: ValuesOf<typeof EVALUATE_FLAGS> = { weights: [], crops: 'centre', out: null, resultsFile: null, resultsFormat: 'csv' }

/** `evaluate --merge PART...`: the part files are positional; the output flags are evaluate's. */
const MERGE_FLAGS = {
  merge: { kind: 'boolean', codec: t.boolean, help: 'add shard results (part files follow)' },
  out: EVALUATE_FLAGS.out, resultsFile: EVALUATE_FLAGS.resultsFile, resultsFormat: EVALUATE_FLAGS.resultsFormat,
} as const satisfies Flags
const MERGE_DEFAULTS: ValuesOf<typeof MERGE_FLAGS> = { merge: true, out: null, resultsFile: null, resultsFormat: 'csv' }

/** The evaluate options and the train options beside them (which choose the network and the data). */
export const parseEvaluateFlags = (argv: readonly string[]): { flags: EvaluateFlags; config: TrainConfig } => {
  const kinds = Object.fromEntries(Object.entries(EVALUATE_FLAGS).map(([k, f]) => [k, f.kind]))
  const { config, extra } = parseTrainFlagsWith(argv, kinds, undefined, 'evaluate')
  const v = decodeFlags(extra, EVALUATE_FLAGS, EVALUATE_DEFAULTS)
  if (v.weights.length === 0) throw new ConfigError('evaluate: --weights FILE.safetensors is required (repeat it for an ensemble)')
  return { config, flags: { weights: v.weights, crops: v.crops, resultsFormat: v.resultsFormat, ...(v.out ? { out: v.out } : {}), ...(v.resultsFile ? { resultsFile: v.resultsFile } : {}) } }
}

/** What one evaluation (or a merge of shards) reports. */
export interface EvaluationResult {
  readonly data: string
  readonly model: string
  readonly examples: number
  readonly crops: CropMode
  readonly cropPct: number
  readonly imgSize: number
  readonly interpolation: string
  readonly paramCount: number
  readonly models: readonly string[]
  readonly shard: string | null
  readonly top1: number
  readonly top5: number
  readonly loss: number
  readonly confusion: number[][]
  readonly counts: Counts
}

const resultOf = (base: Omit<EvaluationResult, 'examples' | 'top1' | 'top5' | 'loss' | 'confusion' | 'counts'>, counts: Counts): EvaluationResult => {
  const m = metricsOfCounts(counts)
  return { ...base, examples: m.examples, top1: m.top1, top5: m.top5, loss: m.loss, confusion: m.confusion, counts }
}

/**
 * Evaluates weight files (an ensemble when several) on the configuration's held-out data (this
 * reader's shard of it) with the chosen crops, streaming: memory is the batches in flight.
 *
 * @example
 * const r = await runEvaluation(decodeConfig({}, 'mine'), { weights: ['a.safetensors', 'b.safetensors'], crops: '10', resultsFormat: 'csv' }, backend, console.error)
 * r.top1, r.counts
 */
export const runEvaluation = async (config: TrainConfig, f: EvaluateFlags, backend: Backend, log: (s: string) => void, progress?: (done: number, total: number) => void): Promise<EvaluationResult> => {
  const shard = shardOf(config.shard)
  const data = await openData(config, log, { shard: false, heldOutShard: shard, evaluating: true })
  const whole = data.heldOut ?? data.train
  // wds shards are split whole when opened; random-access records by a keyed partition here
  const dataset = isStream(whole) ? whole : shardDataset(whole, shard, [config.seed, 0])
  const first = await readWeights(f.weights[0]!)
  const classes = config.numClasses ?? classesInWeights(first, config) ?? whole.classes
  const net = buildNetwork(config, classes)
  const sets = []
  for (const [i, file] of f.weights.entries()) {
    const loaded = importStateDict(net.spec(inputShape(config)), i === 0 ? first : await readWeights(file), file)
    if (isLeft(loaded)) throw loaded.left
    sets.push(loaded.right)
  }
  const prep = preprocessing(config).eval
  const transform = prep.image ?? preprocessing({ ...config, transforms: 'timm' }).eval.image!
  const cropPct = transform.crop.kind === 'centre' ? transform.crop.cropPct : 0.875
  const n = config.workers ?? defaultWorkers()
  const workers: DataWorkers | undefined = n > 0 ? dataWorkers(n) : undefined
  log(`${f.weights.join(' + ')}: ${f.crops} crop${f.crops === 'centre' ? '' : 's'} over ${dataset.size} examples of ${dataset.name}`)
  try {
    const counts = await evaluateCounts({
      net, params: sets[0]!.params, state: sets[0]!.state, more: sets.slice(1), dataset, batchSize: config.evalBatchSize, classes, backend,
      views: recordViews({ ...prep, ...(workers ? { workers } : {}) }, f.crops, cropPct, transform), prefetch: config.prefetch, ...(progress ? { onProgress: progress } : {}),
    })
    return resultOf({
      data: unshardedName(whole.name), model: config.model, crops: f.crops, cropPct, imgSize: config.imgSize, interpolation: transform.interpolation,
      paramCount: countParameters(sets[0]!.params), models: f.weights, shard: shard ? `${shard.index}/${shard.count}` : null,
    }, counts)
  } finally {
    await workers?.close()
  }
}

/** A source's name without the ' [shard I/N]' that wds: adds, so the parts of one evaluation name the same data. */
const unshardedName = (name: string) => name.replace(/ \[shard \d+\/\d+\]$/, '')

const CountsCodec = t.type({ examples: t.number, top1: t.number, top5: t.number, lossSum: t.number, confusion: t.array(t.array(t.number)) })
const PartCodec = t.type({
  data: t.string, model: t.string, crops: t.string, cropPct: t.number, imgSize: t.number, interpolation: t.string, paramCount: t.number,
  models: t.array(t.string), shard: t.union([t.string, t.null]), counts: CountsCodec,
}, 'an evaluation result written by rxception evaluate --shard I/N --out FILE')

/**
 * Adds shard results (`evaluate --shard I/N --out part-I.json`): the parts must be one evaluation's
 * (same data, model, weights and crops) and each shard of 0..N−1 exactly once. The merged top-1,
 * top-5, loss and confusion matrix are the unsharded run's.
 *
 * @example
 * const whole = mergeResults(['part-0.json', 'part-1.json'])
 */
export const mergeResults = (files: readonly string[]): EvaluationResult => {
  if (files.length === 0) throw new ConfigError('evaluate --merge: give the part files (part-*.json)')
  const parts = files.map(file => {
    let json: unknown
    try {
      json = JSON.parse(readFileSync(file, 'utf8'))
    } catch (e) {
      throw new ConfigError(`evaluate --merge: ${file}: ${(e as Error).message}`)
    }
    const r = PartCodec.decode(json)
    if (isLeft(r)) throw new ConfigError(`evaluate --merge: ${file}: expected ${PartCodec.name}`)
    return { file, part: r.right }
  })
  const first = parts[0]!.part
  const same = (p: typeof first) => p.data === first.data && p.model === first.model && p.crops === first.crops && p.models.join() === first.models.join() && p.cropPct === first.cropPct
  const odd = parts.find(p => !same(p.part))
  if (odd) throw new ConfigError(`evaluate --merge: ${odd.file} is another evaluation (data, model, weights or crops differ from ${parts[0]!.file})`)
  const shards = parts.map(p => p.part.shard)
  const count = Number(shards[0]?.split('/')[1] ?? 1)
  const expected = Array.from({ length: count }, (_, i) => `${i}/${count}`)
  const filesOf = (s: string) => parts.filter(p => p.part.shard === s).map(p => p.file)
  const missing = expected.filter(s => filesOf(s).length === 0)
  const twice = expected.filter(s => filesOf(s).length > 1).map(s => `${s} in ${filesOf(s).join(' and ')}`)
  const foreign = parts.filter(p => !expected.includes(p.part.shard ?? '')).map(p => `${p.file} (${p.part.shard ?? 'unsharded'})`)
  if (missing.length || twice.length || foreign.length) {
    const problems = [missing.length ? `missing shard ${missing.join(', ')}` : '', twice.length ? `shard ${twice.join('; ')}` : '', foreign.length ? `not a shard of ${count}: ${foreign.join(', ')}` : '']
    throw new ConfigError(`evaluate --merge: expected shards ${expected.join(', ')} once each: ${problems.filter(Boolean).join('; ')}`)
  }
  const counts = parts.map(p => p.part.counts).reduce(mergeCounts)
  const { counts: _c, shard: _s, ...base } = first
  return resultOf({ ...base, crops: first.crops as CropMode, shard: null }, counts)
}

/**
 * timm validate.py's results row: top-1/top-5 and their errors in percent (3 decimals), parameters
 * in millions (2 decimals).
 *
 * @example
 * writeFileSync('results.csv', timmResults(result, 'csv'))
 */
export const timmResults = (r: EvaluationResult, format: 'csv' | 'json'): string => {
  const row = {
    model: r.model, top1: +(100 * r.top1).toFixed(3), top1_err: +(100 - 100 * r.top1).toFixed(3), top5: +(100 * r.top5).toFixed(3), top5_err: +(100 - 100 * r.top5).toFixed(3),
    param_count: +(r.paramCount / 1e6).toFixed(2), img_size: r.imgSize, crop_pct: r.cropPct, interpolation: r.interpolation,
  }
  if (format === 'json') return `${JSON.stringify([row], null, 4)}\n`
  return `${Object.keys(row).join(',')}\n${Object.values(row).join(',')}\n`
}

const report = (result: EvaluationResult, flags: Pick<EvaluateFlags, 'out' | 'resultsFile' | 'resultsFormat'>) => {
  const json = JSON.stringify(result)
  // whole or not at all: a merge job never reads a part a killed shard half wrote
  if (flags.out) writeTextAtomic(flags.out, `${json}\n`)
  if (flags.resultsFile) writeTextAtomic(flags.resultsFile, timmResults(result, flags.resultsFormat))
  console.error(`top-1 ${(100 * result.top1).toFixed(2)}%, top-5 ${(100 * result.top5).toFixed(2)}% over ${result.examples} examples (${result.crops} crops, ${result.models.length} model${result.models.length > 1 ? 's' : ''}${result.shard ? `, shard ${result.shard}` : ''})`)
  console.log(json)
}

export const evaluateCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`${EVALUATE_USAGE}\n\n${TRAIN_USAGE}`)
    return
  }
  if (argv.includes('--merge')) {
    const { values, positional } = parseCommand('evaluate --merge', argv, MERGE_FLAGS, MERGE_DEFAULTS, { positional: true })
    report(mergeResults(positional), { resultsFormat: values.resultsFormat, ...(values.out ? { out: values.out } : {}), ...(values.resultsFile ? { resultsFile: values.resultsFile } : {}) })
    return
  }
  const { flags, config } = parseEvaluateFlags(argv)
  const backend = await createBackend(config.backend)
  const bar = evaluationProgress()
  try {
    const result = await runEvaluation(config, flags, backend, s => console.error(s), bar.update)
    bar.stop()
    report(result, flags)
  } finally {
    bar.stop()
    await backend.destroy()
  }
}
