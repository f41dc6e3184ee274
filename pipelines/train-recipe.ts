import { ImageTransform } from '../lib/data/image-transform'
import { Preparation } from '../lib/data/prepare'
import { compose, normalize, randomCrop, randomFlip, resize, toChannels } from '../lib/data/transforms'
import { Layer } from '../lib/nn'
import { optimizerByName } from '../lib/optim'
import { Schedule, constant, cosine, stepDecay, withWarmup } from '../lib/schedule'
import { TrainConfig } from './config'
import { MODELS, NETWORKS } from '../modules'

/**
 * The parts of a run that follow from its configuration alone, with no file or data source: the
 * network, the input shape, the preparation of examples, the learning-rate schedule and the
 * optimizer. `rxception train` (pipelines/train-setup.ts) and the browser page's trainer
 * (pipelines/web/trainer.ts) both build from these, so the page trains with the CLI's recipe.
 *
 * @example
 * const net = buildNetwork(DEFAULT_CONFIG, 10)
 */
export const buildNetwork = (c: TrainConfig, classes: number): Layer =>
  NETWORKS[MODELS[c.model].network]({
    variant: c.variant, width: c.width, ...(c.repeats ? { repeats: c.repeats } : {}), sameStride2: c.sameStride2, aux: c.aux, classes, dropoutKeep: 1 - c.drop, decay: 1 - c.bnMomentum, poolNorm: c.poolNorm,
    ...(c.residualScale !== null ? { scales: { a: c.residualScale, b: c.residualScale, c: c.residualScale } } : {}),
  })

export const inputShape = (c: TrainConfig): number[] => [c.batchSize, c.imgSize, c.imgSize, c.inChans]

/**
 * Training and evaluation preparation. In-memory examples (mnist, idx, pixel records): channels,
 * size, then (training) pad-crop and flip, then normalisation (the small-image path). Image files
 * and stream members with --transforms timm: timm's RandomResizedCrop (--scale, --ratio) and flip
 * to train, shorter side ⌊S / crop-pct⌋ and centre crop to evaluate (lib/data/image-transform.ts);
 * with --transforms small they take the small-image path too.
 */
export const preprocessing = (c: TrainConfig): { train: Preparation; eval: Preparation } => {
  const base = [toChannels(c.inChans), resize(c.imgSize)]
  const aug = c.noAug ? [] : [randomCrop(c.cropPad), randomFlip(c.hflip)]
  const small = { train: compose(...base, ...aug, normalize(c.mean, c.std)), eval: compose(...base, normalize(c.mean, c.std)) }
  if (c.transforms === 'small') return { train: { prepare: small.train }, eval: { prepare: small.eval } }
  const pretrained = MODELS[c.model].preprocess
  const common = { size: c.imgSize, channels: c.inChans, mean: typeof c.mean === 'number' ? [c.mean] : c.mean, std: typeof c.std === 'number' ? [c.std] : c.std }
  // --no-aug is timm's transforms_noaug_train: shorter side to S, centre crop (crop_pct 1)
  const train: ImageTransform = c.noAug
    ? { ...common, interpolation: c.interpolation ?? 'bilinear', crop: { kind: 'centre', cropPct: 1 }, hflip: 0 }
    : { ...common, interpolation: c.interpolation ?? 'bilinear', crop: { kind: 'random-resized', scale: c.scale, ratio: c.ratio }, hflip: c.hflip }
  const evaluation: ImageTransform = { ...common, interpolation: c.interpolation ?? pretrained.interpolation, crop: { kind: 'centre', cropPct: c.cropPct ?? pretrained.cropPct }, hflip: 0 }
  return { train: { prepare: small.train, image: train }, eval: { prepare: small.eval, image: evaluation } }
}

export const scheduleOf = (c: TrainConfig, stepsPerEpoch: number): Schedule => {
  const main = c.sched === 'step' ? stepDecay(c.lr, c.decayRate, c.decayEpochs * stepsPerEpoch) : c.sched === 'cosine' ? cosine(c.lr, c.epochs * stepsPerEpoch) : constant(c.lr)
  return withWarmup(main, Math.round(c.warmupEpochs * stepsPerEpoch), c.warmupLr)
}

export const optimizerOf = (c: TrainConfig) =>
  optimizerByName(c.opt, { momentum: c.momentum, weightDecay: c.weightDecay, weightDecayAll: c.weightDecayAll, ...(c.optEps !== null ? { epsilon: c.optEps } : {}), ...(c.clipGrad !== null ? { clipGrad: c.clipGrad } : {}) })

