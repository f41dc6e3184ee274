import { writeFileSync } from 'fs'
import { isLeft } from 'fp-ts/Either'
import { Backend, createBackend } from '../lib/backend'
import { CROP_MODES, CropMode, cropViews, normalize, renderViews, toChannels } from '../lib/data'
import { importStateDict } from '../lib/io'
import { metricsOf, probabilities } from '../lib/train'
import { ConfigError, TrainConfig } from './config'
import * as t from 'io-ts'
import { Flags, ValuesOf, decodeFlags, numberIn, oneOf } from '../lib/flags'
import { TRAIN_USAGE, parseTrainFlagsWith } from './train-flags'
import { buildNetwork, classesInWeights, inputShape, openData, readWeights } from './train-setup'

/**
 * `rxception evaluate --weights FILE [--weights FILE2 ...] [--crops centre|10|12|144] [--crop-pct P]
 * [--out FILE.json] [model and data options as for train, or --config RUN/config.json]`.
 * Several weight files make an ensemble: softmax probabilities averaged over crops and models.
 * Prints (and writes) top-1, top-5, loss and the confusion matrix as JSON.
 */
export interface EvaluateFlags {
  /** Weight files (timm names); several make an ensemble. */
  readonly weights: readonly string[]
  /** centre | 10 | 12 | 144 (lib/data/crops.ts). */
  readonly crops: CropMode
  /** Shorter side ⌊S / cropPct⌋ before cropping; default 1 for centre (training's view), 0.875 otherwise. */
  readonly cropPct: number
  /** Also write the JSON result there. */
  readonly out?: string
}

export const EVALUATE_USAGE = `usage: rxception evaluate --weights FILE.safetensors [--weights FILE2 ...] [options]
  --crops MODE         centre (default) | 10 | 12 | 144 (see lib/data/crops.ts for the geometry)
  --crop-pct P         shorter side resized to floor(S / P) before cropping (default 1 for centre, 0.875 otherwise)
  --out FILE.json      also write the result there
  --config RUN/config.json and the train options choose the network and the data: evaluates
  --val-data, else mnist's held-out split for --data mnist, else --data`

export const EVALUATE_FLAGS = {
  weights: { kind: 'strings', codec: t.array(t.string, 'one or more .safetensors files'), help: 'weights (repeat for an ensemble)' },
  crops: { kind: 'string', codec: oneOf(CROP_MODES), help: 'centre | 10 | 12 | 144' },
  cropPct: { kind: 'number', codec: t.union([numberIn(0, 1, true), t.null], 'a number in (0, 1]'), help: 'shorter side floor(S / P) before cropping' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'also write the JSON there' },
} as const satisfies Flags
const EVALUATE_DEFAULTS: ValuesOf<typeof EVALUATE_FLAGS> = { weights: [], crops: 'centre', cropPct: null, out: null }

/** The evaluate options and the train options beside them (which choose the network and the data). */
export const parseEvaluateFlags = (argv: readonly string[]): { flags: EvaluateFlags; config: TrainConfig } => {
  const kinds = Object.fromEntries(Object.entries(EVALUATE_FLAGS).map(([k, f]) => [k, f.kind]))
  const { config, extra } = parseTrainFlagsWith(argv, kinds, undefined, 'evaluate')
  const v = decodeFlags(extra, EVALUATE_FLAGS, EVALUATE_DEFAULTS)
  if (v.weights.length === 0) throw new ConfigError('evaluate: --weights FILE.safetensors is required (repeat it for an ensemble)')
  return { config, flags: { weights: v.weights, crops: v.crops, cropPct: v.cropPct ?? (v.crops === 'centre' ? 1 : 0.875), ...(v.out ? { out: v.out } : {}) } }
}

/**
 * Evaluates weight files (an ensemble when several) on the configuration's held-out data with the
 * chosen crops; softmax probabilities are averaged over crops and models.
 *
 * @example
 * const r = await runEvaluation(decodeConfig({}, 'mine'), { weights: ['a.safetensors', 'b.safetensors'], crops: '10', cropPct: 0.875 }, backend, console.error)
 * r.top1, r.confusion
 */
export const runEvaluation = async (config: TrainConfig, f: EvaluateFlags, backend: Backend, log: (s: string) => void) => {
  const data = await openData(config, log)
  const dataset = data.heldOut ?? data.train
  const first = await readWeights(f.weights[0]!)
  const classes = config.numClasses ?? classesInWeights(first, config) ?? dataset.classes
  const net = buildNetwork(config, classes)
  const toC = toChannels(config.inChans)
  const norm = normalize(config.mean, config.std)
  const views = (e: { image: import('../lib/tensor').Tensor; label: number }) => {
    const img = toC(e, [0, 0]).image
    const geometry = cropViews(img.shape[0]!, img.shape[1]!, config.imgSize, f.crops, f.cropPct)
    return renderViews(img, config.imgSize, geometry).map(image => norm({ image, label: e.label }, [0, 0]))
  }
  let sum: Float64Array | undefined
  for (const [i, file] of f.weights.entries()) {
    const tensors = i === 0 ? first : await readWeights(file)
    const loaded = importStateDict(net.spec(inputShape(config)), tensors, file)
    if (isLeft(loaded)) throw loaded.left
    log(`${file}: ${f.crops} crop${f.crops === 'centre' ? '' : 's'} over ${dataset.size} examples of ${dataset.name}`)
    const p = await probabilities({ net, params: loaded.right.params, state: loaded.right.state, dataset, views, batchSize: config.evalBatchSize, classes, backend })
    sum = sum ? sum.map((v, j) => v + p[j]!) : p
  }
  const mean = sum!.map(v => v / f.weights.length)
  const labels = Array.from({ length: dataset.size }, (_, i) => dataset.get(i).label)
  const m = metricsOf(mean, labels, classes)
  return { data: dataset.name, examples: m.examples, crops: f.crops, cropPct: f.cropPct, models: f.weights, top1: m.top1, top5: m.top5, loss: m.loss, confusion: m.confusion }
}

export const evaluateCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`${EVALUATE_USAGE}\n\n${TRAIN_USAGE}`)
    return
  }
  const { flags, config } = parseEvaluateFlags(argv)
  const backend = await createBackend(config.backend)
  try {
    const result = await runEvaluation(config, flags, backend, s => console.error(s))
    const json = JSON.stringify(result)
    if (flags.out) writeFileSync(flags.out, `${json}\n`)
    console.error(`top-1 ${(100 * result.top1).toFixed(2)}%, top-5 ${(100 * result.top5).toFixed(2)}% over ${result.examples} examples (${result.crops} crops, ${result.models.length} model${result.models.length > 1 ? 's' : ''})`)
    console.log(json)
  } finally {
    await backend.destroy()
  }
}
