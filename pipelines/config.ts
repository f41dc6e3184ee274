import * as t from 'io-ts'
import { isLeft } from 'fp-ts/Either'
import { MODELS, MODEL_NAMES, ModelName } from '../modules'
import { OPTIMIZERS } from '../lib/optim'
import { MODES } from '../lib/backend'
import { ConfigError, flagOf, intIn as int, oneOf } from '../lib/flags'
import { INTERPOLATIONS } from '../lib/data/resample'

export { ConfigError, flagOf } from '../lib/flags'

/**
 * The one training configuration, shared by the CLI (flags or `--config FILE`: JSON, YAML or timm's args.yaml), the library and
 * checkpoints. Names follow timm's train.py where it has the same knob (`batchSize` is
 * `-b/--batch-size`, `drop` is the drop rate 1 − keep, `bnMomentum` is PyTorch's momentum, so
 * TF-slim's decay 0.9997 is 0.0003). Decoded with io-ts: a bad value is refused with its name.
 */
const range = (lo: number, hi: number, loOpen: boolean, hiOpen: boolean) =>
  t.refinement(t.number, v => Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi),
    `a number in ${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : `${hi}${hiOpen ? ')' : ']'}`}`)
const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null], `${c.name} or null`)

const Positive = range(0, Infinity, true, false)
const perChannel = <C extends t.Mixed>(c: C) => t.union([c, t.tuple([c]), t.tuple([c, c, c])], `${c.name}, or three of them (per channel)`)
const NonNegative = range(0, Infinity, false, false)

/**
 * The training configuration (every field's default is in DEFAULT_CONFIG).
 *
 * @example
 * const c: TrainConfig = decodeConfig({ model: 'inception-resnet-v2', epochs: 1 }, 'mine')
 */
export const TrainConfig = t.type({
  model: oneOf(MODEL_NAMES),
  variant: oneOf(['ref', 'paper'] as const),
  width: range(0, 4, true, false),
  /** Block repeat counts [A, B, C]; null: the network's own. */
  repeats: nullable(t.tuple([int(1, 20), int(1, 40), int(1, 20)])),
  sameStride2: t.boolean,
  aux: t.boolean,
  /** The Inception-ResNet blocks' residual scale, one for A, B and C (null: the released 0.17, 0.10, 0.20); the paper's 0.1-0.3 against 1 (no scaling). */
  residualScale: nullable(range(0, 1, true, false)),
  /** An extra batch norm before the average pooling (the paper's remedy that did not help). */
  poolNorm: t.boolean,
  /** Layers whose outputs are monitored at --log-interval: comma-separated path patterns ('repeat_2.*,conv2d_7b'); '' off. */
  watch: t.string,
  batchSize: int(1, 4096),
  epochs: int(1, 100000),
  lr: Positive,
  opt: oneOf(OPTIMIZERS),
  optEps: nullable(NonNegative),
  momentum: range(0, 1, false, true),
  weightDecay: NonNegative,
  /** Decay biases and batch-norm parameters too (TF-slim's IR-v2 scope); default weights only. */
  weightDecayAll: t.boolean,
  clipGrad: nullable(Positive),
  sched: oneOf(['step', 'cosine', 'constant'] as const),
  decayEpochs: Positive,
  decayRate: range(0, 1, true, false),
  warmupEpochs: NonNegative,
  warmupLr: NonNegative,
  smoothing: range(0, 1, false, true),
  drop: range(0, 1, false, true),
  bnMomentum: range(0, 1, true, false),
  initialCheckpoint: nullable(t.string),
  resetClassifier: t.boolean,
  resume: nullable(t.string),
  output: nullable(t.string),
  seed: int(0, 2 ** 31 - 1),
  numClasses: nullable(int(1, 100000)),
  inChans: t.union([t.literal(1), t.literal(3)], '1 | 3'),
  imgSize: int(8, 1024),
  noAug: t.boolean,
  hflip: range(0, 1, false, false),
  cropPad: int(0, 64),
  /** Pixels in [0, 1] become (x − mean) / std, one value or one per channel; timm's 0.5 and 0.5 for these networks give [−1, 1]. */
  mean: perChannel(range(-10, 10, false, false)),
  std: perChannel(range(0, 10, true, false)),
  /** timm: RandomResizedCrop and centre-crop evaluation for image files; small: resize the whole image, pad-crop (--crop-pad), as the in-memory sources. */
  transforms: oneOf(['timm', 'small'] as const),
  scale: t.tuple([range(0, 1, true, false), range(0, 1, true, false)]),
  ratio: t.tuple([Positive, Positive]),
  /** null: bilinear for training (timm's RandomResizedCrop), the model's pretrained one for evaluation (bicubic). */
  interpolation: nullable(oneOf(INTERPOLATIONS)),
  /** null: the model's pretrained crop_pct (0.875 for v4, 0.897 for IR-v2), else timm's 0.875. */
  cropPct: nullable(range(0, 1, true, false)),
  /** Data worker threads (timm -j); null: half the cores, 1 to 4; 0: decode on the main thread. */
  workers: nullable(int(0, 64)),
  prefetch: int(0, 64),
  /** Examples an epoch takes from a stream (timm --train-num-samples); null: the source's size. */
  trainNumSamples: nullable(int(1, 2 ** 31 - 1)),
  /** Train on this many examples of a random-access source, a keyed draw by --seed (null: all of them). */
  trainSubset: nullable(int(1, 2 ** 31 - 1)),
  shuffleBuffer: int(1, 1_000_000),
  /** Seconds a stream may stay silent before the run stops with the source named. */
  dataTimeout: Positive,
  /** This reader's part I/N of the data ('0/4'); null: RANK/WORLD_SIZE when set, else all. */
  shard: nullable(t.string),
  data: t.string,
  valData: nullable(t.string),
  valSplit: range(0, 1, false, true),
  onBadRecord: oneOf(['fail', 'skip'] as const),
  logInterval: int(1, 1000000),
  evalBatchSize: int(1, 4096),
  backend: oneOf(MODES),
})
export type TrainConfig = t.TypeOf<typeof TrainConfig>

/**
 * The defaults: what `rxception train` with no arguments runs. `inception-resnet-v1-tiny` (width
 * 1/8, one block per stage, 'same' stride-2 layers so 28×28 digits pass) on the bundled MNIST
 * digits with the paper's recipe (RMSProp ρ 0.9, μ 0.9, ε 1.0; lr 0.045 × 0.94 every two epochs;
 * weight decay 4e-5), label smoothing 0.1, and batch-norm momentum 0.1 (TF-slim's 0.0003 is for
 * ImageNet-length runs: at 0.0003 the running statistics would still be mostly their initial
 * values after ten epochs of 281 steps).
 *
 * @example
 * const config = { ...DEFAULT_CONFIG, epochs: 2 } // or decodeConfig({ epochs: 2 }, 'mine')
 */
export const DEFAULT_CONFIG: TrainConfig = {
  model: 'inception-resnet-v1-tiny', variant: 'ref', width: 0.125, repeats: [1, 1, 1], sameStride2: true, aux: false, residualScale: null, poolNorm: false, watch: '',
  batchSize: 32, epochs: 10, lr: 0.045, opt: 'rmsproptf', optEps: null, momentum: 0.9, weightDecay: 4e-5, weightDecayAll: false, clipGrad: null,
  sched: 'step', decayEpochs: 2, decayRate: 0.94, warmupEpochs: 0, warmupLr: 1e-5, smoothing: 0.1, drop: 0, bnMomentum: 0.1,
  initialCheckpoint: null, resetClassifier: false, resume: null, output: null, seed: 42, numClasses: null,
  inChans: 1, imgSize: 28, noAug: false, hflip: 0, cropPad: 2, mean: 0.5, std: 0.5,
  transforms: 'timm', scale: [0.08, 1], ratio: [3 / 4, 4 / 3], interpolation: null, cropPct: null, workers: null, prefetch: 2, trainNumSamples: null, trainSubset: null, shuffleBuffer: 1000, dataTimeout: 300, shard: null,
  data: 'mnist', valData: null, valSplit: 0,
  onBadRecord: 'fail', logInterval: 50, evalBatchSize: 100, backend: 'auto',
}

/**
 * Decodes a partial configuration over the defaults (`base`), refusing unknown keys.
 *
 * @example
 * decodeConfig({ epochs: 2, opt: 'sgd' }, 'flags') // a full TrainConfig or a ConfigError
 */
export const decodeConfig = (raw: unknown, source: string, base: TrainConfig = DEFAULT_CONFIG): TrainConfig => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected an object of options`)
  const unknown = Object.keys(raw).filter(k => !Object.prototype.hasOwnProperty.call(TrainConfig.props, k))
  if (unknown.length) throw new ConfigError(`${source}: unknown option '${unknown[0]}'`)
  // a model chosen here brings its registry shape fields (width, repeats, stride-2 padding, input
  // size and channels), unless they are given beside it
  const model = (raw as { model?: unknown }).model
  const preset = typeof model === 'string' && model !== base.model && Object.prototype.hasOwnProperty.call(MODELS, model)
    ? (({ network: _n, classifier: _c, preprocess: _p, ...fields }) => fields)(MODELS[model as ModelName])
    : {}
  const merged = { ...base, ...preset, ...raw }
  const r = TrainConfig.decode(merged)
  if (isLeft(r)) {
    const e = r.left[0]!
    const key = e.context[1]?.key ?? '?'
    const expected = e.context[1]?.type.name ?? 'a valid value'
    throw new ConfigError(`${source}: ${flagOf(key)}: expected ${expected}, got ${JSON.stringify((merged as Record<string, unknown>)[key])}`)
  }
  return r.right
}
