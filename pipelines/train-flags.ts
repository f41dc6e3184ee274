import { readFileSync } from 'fs'
import { parse } from 'yaml'
import { ConfigError, DEFAULT_CONFIG, TrainConfig, decodeConfig, flagOf } from './config'
import { FlagKind, tokenize } from '../lib/flags'
import { fromTimmArgs, isTimmArgs } from './timm-args'

/** Keys whose value may be null and is a number when given (the other nullable ones are paths). */
const NULLABLE_NUMBERS = new Set(['residualScale', 'optEps', 'clipGrad', 'numClasses', 'cropPct', 'workers', 'trainNumSamples', 'trainSubset'])
/** Keys given as comma lists. */
const LISTS = new Set(['repeats', 'scale', 'ratio'])

/** Each option's kind on the command line, from its default's type. */
export const TRAIN_KINDS: Record<string, FlagKind> = Object.fromEntries(
  Object.entries(DEFAULT_CONFIG).map(([k, v]) => [k, LISTS.has(k) ? 'numbers' : k === 'mean' || k === 'std' ? 'numbers' : typeof v === 'boolean' ? 'boolean' : typeof v === 'number' || NULLABLE_NUMBERS.has(k) ? 'number' : 'string']),
)

/**
 * `rxception train` flags to a TrainConfig: timm's names (`-b/--batch-size`, `--opt-eps`, `--drop`,
 * ...), booleans as bare flags (`--no-aug`), and `--config FILE` for a JSON or YAML object of the same
 * options (camelCase keys), which flags override. Unknown flags and bad values are ConfigErrors
 * naming the flag.
 *
 * @example
 * parseTrainFlags(['--epochs', '2', '-b', '64'])
 */
export const parseTrainFlags = (argv: readonly string[], base: TrainConfig = DEFAULT_CONFIG, command = 'train'): TrainConfig =>
  parseTrainFlagsWith(argv, {}, base, command).config

/** parseTrainFlags for a command that adds options of its own (evaluate): those come back raw, by key. */
export const parseTrainFlagsWith = (argv: readonly string[], extra: Record<string, FlagKind>, base: TrainConfig = DEFAULT_CONFIG, command = 'train') => {
  const { raw } = tokenize(command, argv, { ...TRAIN_KINDS, ...extra, config: 'string' }, { aliases: { '-b': '--batch-size', '-j': '--workers' } })
  const own: Record<string, unknown> = {}
  const flags: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) (k in extra ? own : flags)[k] = v
  const { config: file, ...rest } = flags
  const fileConfig = typeof file === 'string' ? readConfigFile(file) : {}
  return { config: decodeConfig(rest, command, decodeConfig(fileConfig, '--config', base)), extra: own }
}

/**
 * A --config file: rxception's JSON (config.json in a run's folder, camelCase keys) or YAML, either
 * rxception's keys or timm's args.yaml (snake_case keys, a run folder's args.yaml from timm or from
 * rxception), which becomes rxception's options (pipelines/timm-args.ts); a timm feature rxception
 * lacks is reported on stderr and ignored.
 *
 * @example
 * readConfigFile('output/train/20261201-120000-inception-v4/args.yaml')
 */
export const readConfigFile = (file: string, warn: (line: string) => void = console.error): unknown => {
  let raw: unknown
  try {
    // YAML is a superset of JSON: one parser for both
    raw = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ConfigError(`--config: ${file}: ${(e as Error).message.split('\n')[0]}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`--config: ${file}: expected a mapping of options`)
  return isTimmArgs(raw as Record<string, unknown>) ? fromTimmArgs(raw as Record<string, unknown>, `--config ${file}`, warn) : raw
}

/** Each training option's help line (`rxception train --help`) (typed by the config: an option without one does not compile). */
export const TRAIN_HELP: Readonly<Record<keyof typeof DEFAULT_CONFIG, string>> = {
  model: "the model (modules/registry.ts; -tiny: width 1/8, one block per stage, 28x28 grey)",
  variant: "released code (ref) or the paper's figures (paper)",
  width: "filter-count multiplier, in (0, 4]",
  repeats: "block repeat counts A,B,C (null: the network's own)",
  sameStride2: "'same' stride-2 layers, for small images",
  aux: "attach the auxiliary classifier (v4, IR-v2; loss weight 0.4)",
  residualScale: "residual scale of every Inception-ResNet block (null: the released 0.17/0.10/0.20)",
  poolNorm: "an extra batch norm before the average pooling",
  watch: "monitor these layers' outputs at --log-interval: comma-separated path patterns ('' off)",
  batchSize: "images per step (timm -b/--batch-size)",
  epochs: "passes over the training data",
  lr: "learning rate (the paper's 0.045)",
  opt: "optimizer: rmsproptf (TF's, the paper's), rmsprop (PyTorch's), sgd",
  optEps: "optimizer epsilon (null: the preset's; the paper's 1.0)",
  momentum: "momentum, in [0, 1)",
  weightDecay: "L2 weight decay (the paper's 4e-5)",
  weightDecayAll: "decay biases and batch-norm parameters too (TF-slim's IR-v2 scope)",
  clipGrad: "clip the global gradient norm to this (null: off)",
  sched: "learning-rate schedule: step (staircase), cosine, constant",
  decayEpochs: "epochs between step decays (the paper's 2)",
  decayRate: "step decay factor (the paper's 0.94)",
  warmupEpochs: "linear warm-up epochs",
  warmupLr: "learning rate at the start of warm-up",
  smoothing: "label smoothing, in [0, 1)",
  drop: "dropout rate before the classifier (timm --drop; 1 - keep)",
  bnMomentum: "batch-norm momentum, PyTorch's sense (TF-slim's decay 0.9997 is 0.0003)",
  initialCheckpoint: "start from a timm-named .safetensors file",
  resetClassifier: "drop the initial checkpoint's classifier (fine-tuning to new classes)",
  resume: "continue a run from its checkpoint folder or file, exactly",
  output: "the run's folder (default: output/train/<time>)",
  seed: "the random seed (initialisation, order, augmentation, dropout)",
  numClasses: "classifier width (null: from the data or the initial checkpoint)",
  inChans: "input channels: 1 grey, 3 RGB",
  imgSize: "input height and width",
  noAug: "no augmentation (crop padding, flips)",
  hflip: "horizontal flip probability",
  cropPad: "random-crop padding in pixels",
  mean: "pixels in [0, 1] become (x - mean) / std; one value, or three (per channel)",
  std: "see --mean",
  transforms: "image files: timm (RandomResizedCrop, centre-crop evaluation) or small (resize whole, pad-crop)",
  scale: "RandomResizedCrop's area fraction range (timm --scale)",
  ratio: "RandomResizedCrop's aspect ratio range (timm --ratio)",
  interpolation: "bilinear | bicubic (null: bilinear to train, the model's pretrained one to evaluate)",
  cropPct: "evaluation: shorter side floor(S / P), centre crop S (null: the model's pretrained, else 0.875)",
  workers: "data worker threads (timm -j; null: half the cores, 1-4; 0: main thread)",
  prefetch: "batches prepared ahead of the step (memory: that many batches)",
  trainNumSamples: "examples per epoch from a stream (timm --train-num-samples; null: the source's size)",
  trainSubset: "train on this many examples of a random-access source, a keyed draw (null: all)",
  shuffleBuffer: "wds: examples held in the keyed shuffle buffer",
  dataTimeout: "seconds a stream may stay silent before the run stops",
  shard: "this reader's part I/N of the data (null: RANK/WORLD_SIZE, else all)",
  data: "training data: mnist | digits-hard | folder:DIR | wds:SHARDS | idx:IMAGES,LABELS | ndjson:FILE | ndjson:-",
  valData: "held-out data, same forms (null: --val-split, or the source's own)",
  valSplit: "fraction of the training data held out (keyed by --seed)",
  onBadRecord: "a record that cannot be read: fail, or skip and count it",
  logInterval: "steps between progress lines",
  evalBatchSize: "images per evaluation batch",
  backend: "gpu.js backend: auto | webasm | cpu | headlessgl | webgpu (webgl2, webgl: in a browser)",
}

export const TRAIN_USAGE = `usage: rxception train [options]      (timm's train.py names where it has the option)
${Object.entries(DEFAULT_CONFIG).map(([k, v]) => `  ${flagOf(k).padEnd(24)} ${TRAIN_HELP[k as keyof typeof DEFAULT_CONFIG]} (default ${JSON.stringify(v)})`).join('\n')}
  --config FILE            options: rxception's JSON/YAML (camelCase keys) or timm's args.yaml; flags override it
  -b                       same as --batch-size
  -j                       same as --workers`
