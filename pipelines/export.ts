import * as path from 'path'
import * as t from 'io-ts'
import { PickleValue, exportStateDict, rmspropTfStateToTimm, writeTorchSave } from '../lib/io'
import { stepsPerEpoch } from '../lib/data'
import { Flags, ValuesOf, parseCommand, usageOf } from '../lib/flags'
import { ConfigError, TrainConfig, decodeConfig } from './config'
import { TIMM_MODELS, toTimmArgs } from './timm-args'
import { classesInWeights, openData } from './train-setup'
import { loadResume } from './train'
import { TrainState } from '../lib/train'

export const EXPORT_FLAGS = {
  to: { kind: 'string', codec: t.literal('timm-resume'), help: "the format: timm-resume (what timm's train.py --resume reads)" },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'the file to write (default: RUN/timm-resume.pth.tar)' },
} as const satisfies Flags
const EXPORT_DEFAULTS: ValuesOf<typeof EXPORT_FLAGS> = { to: 'timm-resume', out: null }

/** A value of timm's args (numbers, strings, lists, mappings) as a pickle value. */
const pickled = (v: unknown): PickleValue =>
  v === null || v === undefined ? null
  : typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' ? v
  : Array.isArray(v) ? v.map(pickled)
  : { kind: 'dict', entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, pickled(x)] as const) }

/**
 * A run's checkpoint as timm's `last.pth.tar` (timm's CheckpointSaver's form: epoch, arch,
 * state_dict, optimizer, version 2, args, metric), so `train.py --resume FILE` continues the run
 * with its RMSpropTF state instead of restarting the optimizer. timm resumes at epoch boundaries
 * (`start_epoch = epoch + 1`): a checkpoint taken mid-epoch starts its epoch again there.
 *
 * @example
 * const value = timmResumeValue(state, config, 10, 281)
 */
export const timmResumeValue = (s: TrainState, c: TrainConfig, classes: number, perEpoch: number): PickleValue => {
  if (c.opt !== 'rmsproptf') throw new ConfigError(`export --to timm-resume: the run's optimizer is ${c.opt}; only rmsproptf (timm's RMSpropTF) state is written`)
  const completed = Math.floor(s.step / perEpoch)
  const args = toTimmArgs(c, classes)
  return { kind: 'dict', entries: [
    ['epoch', completed - 1],
    ['arch', TIMM_MODELS[c.model] ?? c.model],
    ['state_dict', { kind: 'ordered-dict', entries: exportStateDict(s.params, s.state).map(([k, v]) => [k, { kind: 'tensor', tensor: v }] as const) }],
    ['optimizer', rmspropTfStateToTimm(s.opt, s.params, s.step, { lr: c.lr, momentum: c.momentum, eps: c.optEps ?? 1, weightDecay: c.weightDecay, weightDecayAll: c.weightDecayAll })],
    ['version', 2],
    ['args', { kind: 'namespace', values: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, pickled(v)])) }],
    ['metric', null],
  ] }
}

/**
 * `rxception export --to timm-resume RUN [--out FILE]`: writes a run's last checkpoint (RUN's
 * last.ckpt.safetensors, or a checkpoint file) in the form timm's `train.py --resume` reads.
 *
 * @example
 * await exportCommand(['--to', 'timm-resume', 'output/train/run'])
 */
export const exportCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help')) return console.log(`usage: rxception export --to timm-resume RUN [--out FILE]\n${usageOf(EXPORT_FLAGS, EXPORT_DEFAULTS)}`)
  const { values: v, positional } = parseCommand('export', argv, EXPORT_FLAGS, EXPORT_DEFAULTS, { positional: true })
  if (positional.length !== 1) throw new ConfigError('export: give one run folder or checkpoint file')
  const r = await loadResume(positional[0]!)
  const config = decodeConfig(r.config, `${r.file} (its config)`)
  const data = await openData(config, () => undefined)
  const per = stepsPerEpoch(data.train, config.batchSize)
  // the classifier's width as trained (PyTorch layout: [classes, features])
  const classes = classesInWeights(new Map(exportStateDict(r.state.params, {})), config) ?? config.numClasses ?? data.train.classes
  if (r.state.step % per !== 0) console.error(`export: the checkpoint is at step ${r.state.step}, inside epoch ${Math.floor(r.state.step / per) + 1}; timm resumes at epoch boundaries and will run that epoch again from its start`)
  const out = v.out ?? path.join(path.dirname(r.file), 'timm-resume.pth.tar')
  await writeTorchSave(out, timmResumeValue(r.state, config, classes, per))
  console.log(out)
}
