import * as path from 'path'
import * as t from 'io-ts'
import { PickleValue, exportStateDict, rmspropTfStateToTimm, writeTorchSave } from '../lib/io'
import { stepsPerEpoch } from '../lib/data'
import { Flags, ValuesOf, oneOf, parseCommand, usageOf } from '../lib/flags'
import { MODEL_DEFAULTS, MODEL_FLAGS, modelChoice } from './model-options'
import { runExportable, weightsExportable, writeOnnx } from './export-onnx'
import { packageVersion } from './package-version'
import { ConfigError, TrainConfig, decodeConfig } from './config'
import { TIMM_MODELS, toTimmArgs } from './timm-args'
import { classesInWeights, openData } from './train-setup'
import { loadResume } from './train'
import { TrainState } from '../lib/train'

const FORMAT = t.union([t.literal('timm-resume'), t.literal('onnx'), t.null], 'timm-resume | onnx')

export const EXPORT_FLAGS = {
  to: { kind: 'string', codec: FORMAT, help: "the format: timm-resume (what timm's train.py --resume reads; the default) or onnx (the network and its inference weights, opset 13)" },
  format: { kind: 'string', codec: FORMAT, help: 'the same as --to' },
  out: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'the file to write (default: RUN/timm-resume.pth.tar, RUN/model.onnx, or the weights file with .onnx)' },
  weights: { kind: 'string', codec: t.union([t.string, t.null], 'a file path'), help: 'onnx: a timm-named weights file (safetensors or .pth.tar) for --model, instead of a RUN' },
  layout: { kind: 'string', codec: oneOf(['nchw', 'nhwc'] as const), help: "onnx: the input's layout (nchw as PyTorch and timm feed it; nhwc is rxception's own)" },
  ...MODEL_FLAGS,
} as const satisfies Flags
const EXPORT_DEFAULTS: ValuesOf<typeof EXPORT_FLAGS> = { to: null, format: null, out: null, weights: null, layout: 'nchw', ...MODEL_DEFAULTS }

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

const USAGE = `usage: rxception export --to timm-resume RUN [--out FILE]
       rxception export --to onnx RUN [--layout nchw|nhwc] [--out FILE]
       rxception export --to onnx --model NAME [MODEL OPTIONS] --weights FILE [--out FILE]`

/**
 * `rxception export --to timm-resume RUN [--out FILE]`: writes a run's last checkpoint (RUN's
 * last.ckpt.safetensors, or a checkpoint file) in the form timm's `train.py --resume` reads.
 * `--to onnx` (or `--format onnx`) writes the run's network, or `--model` with `--weights`, as an
 * ONNX model that ONNX Runtime and every ONNX tool runs (see lib/io/onnx-export.ts).
 *
 * @example
 * await exportCommand(['--to', 'timm-resume', 'output/train/run'])
 * await exportCommand(['--format', 'onnx', 'output/train/run'])
 */
export const exportCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help')) return console.log(`${USAGE}\n${usageOf(EXPORT_FLAGS, EXPORT_DEFAULTS)}`)
  const { values: v, positional } = parseCommand('export', argv, EXPORT_FLAGS, EXPORT_DEFAULTS, { positional: true })
  if (v.format !== null && v.to !== null && v.format !== v.to) throw new ConfigError(`export: --to ${v.to} and --format ${v.format} disagree; give one`)
  const format = v.format ?? v.to ?? 'timm-resume'
  if (format === 'onnx') {
    if (v.weights !== null && positional.length > 0) throw new ConfigError('export --to onnx: give a RUN or --weights FILE (with --model), not both')
    if (v.weights === null && positional.length !== 1) throw new ConfigError('export --to onnx: give one run folder or checkpoint file, or --model NAME --weights FILE')
    const source = v.weights !== null ? await weightsExportable(modelChoice(v), v.weights) : await runExportable(positional[0]!)
    return console.log(writeOnnx(source, v.out, v.layout, packageVersion()))
  }
  if (v.weights !== null) throw new ConfigError('export --to timm-resume: --weights is for --to onnx; give a RUN')
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
