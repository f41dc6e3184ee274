import { existsSync } from 'fs'
import * as path from 'path'
import { MODELS, ModelName } from '../modules'
import { defaultWorkers } from '../lib/data'
import { ConfigError, TrainConfig } from './config'

/**
 * A run's options in timm's `train.py` vocabulary: what `args.yaml` in a run's folder holds, and
 * what `rxception train --config args.yaml` reads back. timm's keys carry every value that timm has
 * a key for (written explicitly: timm's own defaults are not the paper's recipe); what timm has no
 * key for, or a value timm cannot express, is kept under `rxception_` (docs/scale-out.md lists them).
 * So the file moves both ways unchanged: timm reads its keys and ignores ours, rxception reads both.
 */

/** timm's model names for the networks timm has (the others exist only here). */
export const TIMM_MODELS: Partial<Record<ModelName, string>> = { 'inception-v4': 'inception_v4', 'inception-resnet-v2': 'inception_resnet_v2' }

/** timm's optimizer names: PyTorch-style momentum SGD is timm's `momentum` (timm's `sgd` is Nesterov's). */
const TIMM_OPT = { rmsproptf: 'rmsproptf', rmsprop: 'rmsprop', sgd: 'momentum' } as const

/**
 * The options that only rxception has, or whose value timm's key cannot carry exactly (sched
 * constant, 0 workers, a null epsilon or class count), by config key: written as
 * rxception_<snake_case>, and read back over timm's key.
 */
const OWN_KEYS = [
  'model', 'variant', 'width', 'repeats', 'sameStride2', 'aux', 'weightDecayAll', 'resetClassifier', 'cropPad', 'transforms', 'prefetch', 'shuffleBuffer',
  'dataTimeout', 'shard', 'data', 'valData', 'valSplit', 'onBadRecord', 'backend', 'bnMomentum', 'output', 'workers', 'sched', 'decayRate', 'interpolation', 'optEps',
  'numClasses', 'evalBatchSize', 'mean', 'std', 'residualScale', 'poolNorm', 'watch', 'trainSubset',
] as const satisfies readonly (keyof TrainConfig)[]

/**
 * timm keys whose value changes the math, with the value that does what rxception does; another
 * value is reported (rxception has no such feature) and otherwise ignored.
 */
const NEUTRAL: Record<string, unknown> = {
  aa: null, amp: false, aug_repeats: 0, aug_splits: 0, bce_loss: false, bn_eps: null, color_jitter: 0, cooldown_epochs: 0, cutmix: 0, cutmix_minmax: null,
  drop_block: null, drop_connect: null, drop_path: null, epoch_repeats: 0, grad_accum_steps: 1, grayscale_prob: null, gaussian_blur_prob: null, jsd_loss: false,
  layer_decay: null, lr_noise: null, min_lr: 0, mixup: 0, model_ema: false, reprob: 0, sched_on_updates: true, split_bn: false, sync_bn: false, train_crop_mode: null,
  vflip: 0, warmup_prefix: false, clip_mode: 'norm', lr_cycle_limit: 1, lr_k_decay: 1, kd_model_name: null, pretrained: false, model_kwargs: {}, opt_kwargs: {},
  opt_betas: null, head_init_scale: null, head_init_bias: null, gp: null, input_size: null, model_dtype: null, start_epoch: null, tta: 0, resplit: false,
  train_img_sizes: null, train_batch_sizes: null, naflex_loader: false, class_map: '', input_img_mode: null,
}

/** timm keys that change nothing rxception computes (devices, logging, loaders, checkpoint keeping, distillation and variable-size options while off). */
const INFRA = new Set([
  'amp_dtype', 'bce_pos_weight', 'bce_sum', 'bce_target_thresh', 'channels_last', 'checkpoint_hist', 'color_jitter_prob', 'config', 'data', 'dataset_download', 'dataset_trust_remote_code',
  'decay_milestones', 'device', 'device_modules', 'dist_bn', 'distill_loss_weight', 'eval_metric', 'experiment', 'fast_norm', 'fuser', 'grad_checkpointing', 'input_key', 'target_key',
  'kd_distill_type', 'kd_loss_type', 'kd_student_feature_dim', 'kd_teacher_feature_dim', 'kd_temperature', 'kd_token_distill_type', 'layer_decay_min_scale', 'layer_decay_no_opt_scale',
  'local_rank', 'log_wandb', 'lr_base', 'lr_base_scale', 'lr_base_size', 'lr_cycle_decay', 'lr_cycle_mul', 'lr_noise_pct', 'lr_noise_std', 'mixup_mode', 'mixup_off_epoch', 'mixup_prob',
  'mixup_switch_prob', 'model_ema_decay', 'model_ema_force_cpu', 'model_ema_warmup', 'naflex_loss_scale', 'naflex_max_seq_len', 'naflex_patch_size_probs', 'naflex_patch_sizes',
  'naflex_patchify_channels_first', 'naflex_train_seq_lens', 'no_ddp_bb', 'no_prefetcher', 'no_resume_opt', 'patience_epochs', 'pin_mem', 'pretrained_path', 'recount', 'recovery_interval',
  'remode', 'save_images', 'synchronize_step', 'task_loss_weight', 'torchcompile', 'torchcompile_mode', 'torchscript', 'train_size_probs', 'train_size_random_mix', 'train_size_schedule',
  'train_size_schedule_spread', 'train_split', 'use_multi_epochs_loader', 'val_interval', 'val_num_samples', 'val_split', 'variable_batch_loss_scale', 'wandb_project', 'wandb_resume_id',
  'wandb_tags', 'worker_seeding', 'train_batches_per_epoch', 'resume', 'output',
  // set by train.py at run time, so present in the args a checkpoint saves
  'prefetcher', 'distributed', 'world_size', 'rank',
])

/** timm keys read into options by fromTimmArgs beside the one-to-one ones. */
const HANDLED = new Set(['model', 'opt', 'initial_checkpoint', 'interpolation', 'train_interpolation', 'data_dir', 'dataset', 'bn_momentum'])

const snake = (k: string) => k.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)
const OWN = `rxception_`
const three = (v: number | readonly number[]) => (typeof v === 'number' ? [v, v, v] : v.length === 1 ? [v[0]!, v[0]!, v[0]!] : [...v])

/** The default epsilon of each optimizer (the paper's 1.0 for TF's RMSProp), written out for timm. */
const DEFAULT_EPS = { rmsproptf: 1.0, rmsprop: 1e-8, sgd: null } as const

/**
 * The run's options as timm's args.yaml (keys sorted, as timm's `yaml.safe_dump` writes them).
 *
 * @example
 * writeFileSync('args.yaml', stringify(toTimmArgs(config, 10)))
 */
export const toTimmArgs = (c: TrainConfig, classes: number): Record<string, unknown> => {
  const { dataDir, trainSplit, valSplit } = timmFolders(c)
  const timm: Record<string, unknown> = {
    ...NEUTRAL,
    model: TIMM_MODELS[c.model] ?? c.model, batch_size: c.batchSize, validation_batch_size: c.evalBatchSize, epochs: c.epochs, lr: c.lr,
    opt: TIMM_OPT[c.opt], opt_eps: c.optEps ?? DEFAULT_EPS[c.opt], momentum: c.momentum, weight_decay: c.weightDecay, clip_grad: c.clipGrad,
    // constant is a staircase that never decays; the schedule steps per update, as rxception's
    sched: c.sched === 'constant' ? 'step' : c.sched, decay_epochs: c.decayEpochs, decay_rate: c.sched === 'constant' ? 1 : c.decayRate,
    warmup_epochs: c.warmupEpochs, warmup_lr: c.warmupLr, smoothing: c.smoothing, drop: c.drop,
    // timm's Inception constructors take no bn_momentum (a TypeError when set): rxception_bn_momentum keeps it
    bn_momentum: null, initial_checkpoint: c.initialCheckpoint ?? '', resume: '', output: '', experiment: '', seed: c.seed,
    num_classes: c.numClasses ?? classes, in_chans: c.inChans, img_size: c.imgSize, no_aug: c.noAug, hflip: c.hflip, scale: [...c.scale], ratio: [...c.ratio],
    train_interpolation: c.interpolation ?? 'bilinear', interpolation: c.interpolation ?? '', crop_pct: c.cropPct, mean: three(c.mean), std: three(c.std),
    // timm's loader fails with 0 workers
    workers: Math.max(1, c.workers ?? defaultWorkers()), train_num_samples: c.trainNumSamples, log_interval: c.logInterval,
    data_dir: dataDir, dataset: c.data.startsWith('wds:') ? 'wds/' : '', train_split: trainSplit, val_split: valSplit,
  }
  for (const k of OWN_KEYS) timm[`${OWN}${snake(k)}`] = c[k]
  return Object.fromEntries(Object.entries(timm).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** timm's split folder names (timm/data/dataset_factory.py). */
const TRAIN_SPLITS = ['train', 'training']
const EVAL_SPLITS = ['validation', 'val', 'eval', 'evaluation']

/**
 * timm's --data-dir and splits for rxception's data: `folder:ROOT/train` with `--val-data
 * folder:ROOT/validation` is timm's layout (data_dir ROOT, the two split names); another folder is
 * timm's data_dir itself (timm then trains and validates on it); wds shards give their folder.
 */
const timmFolders = (c: TrainConfig): { dataDir: string | null; trainSplit: string; valSplit: string } => {
  const folder = (spec: string | null) => (spec?.startsWith('folder:') ? path.resolve(spec.slice(7)) : null)
  const train = folder(c.data)
  const val = folder(c.valData)
  if (train && TRAIN_SPLITS.includes(path.basename(train)) && (!val || (path.dirname(val) === path.dirname(train) && EVAL_SPLITS.includes(path.basename(val))))) {
    return { dataDir: path.dirname(train), trainSplit: path.basename(train), valSplit: val ? path.basename(val) : 'validation' }
  }
  return { dataDir: train ?? (c.data.startsWith('wds:') ? path.dirname(c.data.slice(4)) : null), trainSplit: 'train', valSplit: 'validation' }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) || (typeof a === 'number' && typeof b === 'number' && a === b)

/**
 * timm's args.yaml (written by timm's train.py or by rxception) as rxception options: timm's keys
 * mapped, `rxception_` keys taken as they are (they win where both say something). A timm feature
 * rxception lacks, set on, is reported through `warn` and ignored; a key neither knows is refused.
 *
 * @example
 * const options = fromTimmArgs(parse(readFileSync('args.yaml', 'utf8')), 'args.yaml', console.error)
 */
export const fromTimmArgs = (raw: Record<string, unknown>, source: string, warn: (line: string) => void): Partial<TrainConfig> => {
  const o: Record<string, unknown> = {}
  const set = (key: keyof TrainConfig, v: unknown) => {
    if (v !== undefined) o[key] = v
  }
  const byTimm = Object.entries(TIMM_MODELS).find(([, n]) => n === raw.model)?.[0]
  set('model', byTimm ?? (typeof raw.model === 'string' && Object.prototype.hasOwnProperty.call(MODELS, raw.model) ? raw.model : raw.model === undefined ? undefined : fail(source, 'model', `one of ${Object.values(TIMM_MODELS).join(', ')} (timm) or an rxception model`, raw.model)))
  const opt = Object.entries(TIMM_OPT).find(([, n]) => n === raw.opt)?.[0]
  if (raw.opt !== undefined && !opt) fail(source, 'opt', Object.values(TIMM_OPT).join(' | '), raw.opt)
  set('opt', opt)
  const direct: [string, keyof TrainConfig][] = [
    ['batch_size', 'batchSize'], ['validation_batch_size', 'evalBatchSize'], ['epochs', 'epochs'], ['lr', 'lr'], ['momentum', 'momentum'], ['weight_decay', 'weightDecay'],
    ['clip_grad', 'clipGrad'], ['sched', 'sched'], ['decay_epochs', 'decayEpochs'], ['decay_rate', 'decayRate'], ['warmup_epochs', 'warmupEpochs'], ['warmup_lr', 'warmupLr'],
    ['smoothing', 'smoothing'], ['drop', 'drop'], ['seed', 'seed'], ['num_classes', 'numClasses'], ['in_chans', 'inChans'], ['img_size', 'imgSize'], ['no_aug', 'noAug'],
    ['hflip', 'hflip'], ['scale', 'scale'], ['ratio', 'ratio'], ['crop_pct', 'cropPct'], ['mean', 'mean'], ['std', 'std'], ['workers', 'workers'],
    ['train_num_samples', 'trainNumSamples'], ['log_interval', 'logInterval'], ['opt_eps', 'optEps'],
  ]
  for (const [timmKey, key] of direct) if (raw[timmKey] !== undefined && raw[timmKey] !== null) set(key, raw[timmKey])
  if (typeof raw.initial_checkpoint === 'string' && raw.initial_checkpoint !== '') set('initialCheckpoint', raw.initial_checkpoint)
  if (typeof raw.interpolation === 'string' && raw.interpolation !== '') set('interpolation', raw.interpolation)
  else if (raw.train_interpolation === 'bicubic') set('interpolation', 'bicubic')
  if (typeof raw.train_interpolation === 'string' && !['bilinear', 'bicubic'].includes(raw.train_interpolation)) {
    warn(`${source}: train_interpolation: ${JSON.stringify(raw.train_interpolation)} is a timm feature rxception does not have; ignored (rxception trains with ${JSON.stringify(o.interpolation ?? 'bilinear')})`)
  }
  if (typeof raw.data_dir === 'string' && raw.data_dir !== '' && raw.dataset === '') {
    // timm's layout (ROOT/train, ROOT/validation) where the split folders exist, else the folder itself
    const split = (name: unknown) => (typeof name === 'string' && existsSync(path.join(raw.data_dir as string, name)) ? path.join(raw.data_dir as string, name) : null)
    const train = split(raw.train_split)
    set('data', `folder:${train ?? raw.data_dir}`)
    const val = train ? split(raw.val_split) : null
    if (val) set('valData', `folder:${val}`)
  }
  if (typeof raw.bn_momentum === 'number') set('bnMomentum', raw.bn_momentum)
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith(OWN)) {
      const key = OWN_KEYS.find(x => snake(x) === k.slice(OWN.length))
      if (!key) throw new ConfigError(`${source}: unknown option '${k}'`)
      o[key] = v
    } else if (k in NEUTRAL) {
      if (!same(v, NEUTRAL[k]) && !(v === null && NEUTRAL[k] === 0)) warn(`${source}: ${k}: ${JSON.stringify(v)} is a timm feature rxception does not have; ignored (rxception runs as ${JSON.stringify(NEUTRAL[k])})`)
    } else if (!INFRA.has(k) && !HANDLED.has(k) && !direct.some(([t]) => t === k)) {
      throw new ConfigError(`${source}: unknown option '${k}' (neither timm's train.py nor rxception has it)`)
    }
  }
  return o as Partial<TrainConfig>
}

const fail = (source: string, key: string, expected: string, got: unknown): never => {
  throw new ConfigError(`${source}: ${key}: expected ${expected}, got ${JSON.stringify(got)}`)
}

/**
 * Whether a parsed config file is in timm's vocabulary (snake_case keys) rather than rxception's
 * own JSON (camelCase, as config.json in a run's folder).
 *
 * @example
 * isTimmArgs({ batch_size: 32 }) // true
 */
export const isTimmArgs = (raw: Record<string, unknown>): boolean => Object.keys(raw).some(k => k.includes('_'))
