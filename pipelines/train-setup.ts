import { isLeft } from 'fp-ts/Either'
import { Dataset, ExampleOp, Loaded, compose, mnist, normalize, openSource, randomCrop, randomFlip, resize, subset, toChannels, permutation } from '../lib/data'
import { importStateDict, readSafetensors } from '../lib/io'
import { Layer } from '../lib/nn'
import { optimizerByName } from '../lib/optim'
import { Schedule, constant, cosine, stepDecay, withWarmup } from '../lib/schedule'
import { Tensor, foldInName, keyFromSeed } from '../lib/tensor'
import { TrainState } from '../lib/train'
import { TrainConfig } from './config'
import { MODELS, NETWORKS } from '../modules'

/** The pieces of a run that follow from its configuration alone (plus the files it names). */

export interface RunData {
  readonly train: Dataset
  readonly heldOut?: Dataset
  readonly skipped: number
}

/**
 * Opens --data and --val-data. Without --val-data, mnist trains on its training split and
 * evaluates on its held-out tenth; other sources hold out --val-split of their examples (a keyed
 * draw from --seed) or train on everything.
 */
export const openData = async (c: TrainConfig, log: (s: string) => void): Promise<RunData> => {
  const report = (what: string, l: Loaded) => {
    for (const s of l.skipped.slice(0, 5)) log(`skipped ${s.where}: ${s.reason}`)
    if (l.skipped.length) log(`${what}: skipped ${l.skipped.length} bad record${l.skipped.length > 1 ? 's' : ''}`)
    return l.skipped.length
  }
  const opts = { onBad: c.onBadRecord }
  const tr = await openSource(c.data, opts)
  let skipped = report('--data', tr)
  if (c.valData) {
    const v = await openSource(c.valData, opts)
    skipped += report('--val-data', v)
    return { train: tr.dataset, heldOut: v.dataset, skipped }
  }
  if (c.data === 'mnist' && c.valSplit === 0) return { train: tr.dataset, heldOut: mnist().heldOut, skipped }
  if (c.valSplit > 0) {
    const order = permutation(foldInName(keyFromSeed(c.seed), 'val-split'), tr.dataset.size)
    const n = Math.round(c.valSplit * tr.dataset.size)
    return { train: subset(tr.dataset, tr.dataset.name, order.slice(n)), heldOut: subset(tr.dataset, `${tr.dataset.name} (held-out)`, order.slice(0, n)), skipped }
  }
  return { train: tr.dataset, skipped }
}

export const buildNetwork = (c: TrainConfig, classes: number): Layer =>
  NETWORKS[MODELS[c.model].network]({
    variant: c.variant, width: c.width, ...(c.repeats ? { repeats: c.repeats } : {}), sameStride2: c.sameStride2, aux: c.aux, classes, dropoutKeep: 1 - c.drop, decay: 1 - c.bnMomentum,
  })

export const inputShape = (c: TrainConfig): number[] => [c.batchSize, c.imgSize, c.imgSize, c.inChans]

/** Training and evaluation preprocessing: channels, size, then (training) augmentation, then [−1, 1]. */
export const preprocessing = (c: TrainConfig): { train: ExampleOp; eval: ExampleOp } => {
  const base = [toChannels(c.inChans), resize(c.imgSize)]
  const aug = c.noAug ? [] : [randomCrop(c.cropPad), randomFlip(c.hflip)]
  return { train: compose(...base, ...aug, normalize(c.mean, c.std)), eval: compose(...base, normalize(c.mean, c.std)) }
}

export const scheduleOf = (c: TrainConfig, stepsPerEpoch: number): Schedule => {
  const main = c.sched === 'step' ? stepDecay(c.lr, c.decayRate, c.decayEpochs * stepsPerEpoch) : c.sched === 'cosine' ? cosine(c.lr, c.epochs * stepsPerEpoch) : constant(c.lr)
  return withWarmup(main, Math.round(c.warmupEpochs * stepsPerEpoch), c.warmupLr)
}

export const optimizerOf = (c: TrainConfig) =>
  optimizerByName(c.opt, { momentum: c.momentum, weightDecay: c.weightDecay, weightDecayAll: c.weightDecayAll, ...(c.optEps !== null ? { epsilon: c.optEps } : {}), ...(c.clipGrad !== null ? { clipGrad: c.clipGrad } : {}) })

/** The classifier's parameter prefix, from the registry ('logits', 'classif', 'last_linear': timm's `default_cfgs`). */
export const classifierPrefix = (c: TrainConfig): string => MODELS[c.model].classifier

/**
 * The classifier width a weights file was saved with (its classifier weight's first, output,
 * dimension in PyTorch's layout), or undefined when it has no such tensor.
 *
 * @example
 * classesInWeights(await readWeights('model.safetensors'), config) // 1000
 */
export const classesInWeights = (tensors: ReadonlyMap<string, Tensor>, c: TrainConfig): number | undefined =>
  tensors.get(`${classifierPrefix(c)}.weight`)?.shape[0]

/** The tensors of a timm-named weights file (--initial-checkpoint). */
export const readWeights = async (file: string): Promise<ReadonlyMap<string, Tensor>> => {
  const f = await readSafetensors(file)()
  if (isLeft(f)) throw f.left
  return f.right.tensors
}

/**
 * Fresh parameters from --seed, or --initial-checkpoint's (strict: every name and shape must match;
 * with --reset-classifier the file's classifier is dropped and a new one initialised).
 */
export const initialState = (c: TrainConfig, net: Layer, optInit: (p: TrainState['params']) => TrainState['opt'], weights?: { file: string; tensors: ReadonlyMap<string, Tensor>; classifier: string }): TrainState => {
  const key = keyFromSeed(c.seed)
  const fresh = net.init(foldInName(key, 'init'), inputShape(c))
  if (!weights) return { params: fresh.params, state: fresh.state, opt: optInit(fresh.params), step: 0, key }
  const tensors = c.resetClassifier ? new Map([...weights.tensors].filter(([k]) => !k.startsWith(`${weights.classifier}.`))) : weights.tensors
  const loaded = importStateDict(net.spec(inputShape(c)), tensors, weights.file, { strict: !c.resetClassifier, key: foldInName(key, 'init') })
  if (isLeft(loaded)) throw loaded.left
  return { params: loaded.right.params, state: loaded.right.state, opt: optInit(loaded.right.params), step: 0, key }
}

