import { isLeft } from 'fp-ts/Either'
import { TimmParts, readTorchCheckpoint, rmspropTfStateFromTimm, timmParts } from '../lib/io'
import { Layer } from '../lib/nn'
import { TrainState } from '../lib/train'
import { TrainConfig } from './config'
import { fromTimmArgs } from './timm-args'
import { classifierPrefix, initialState } from './train-setup'

/**
 * A run continued from a timm checkpoint (`--resume last.pth.tar`): the file's weights, its
 * RMSpropTF state by position and its epoch; the options come from the `args` timm saved in it.
 *
 * @example
 * const r = await readTimmResume('output/train/x/last.pth.tar')
 */
export interface TimmResume {
  readonly kind: 'timm'
  readonly file: string
  readonly parts: TimmParts
}

export const readTimmResume = async (file: string): Promise<TimmResume> => {
  const r = await readTorchCheckpoint(file)()
  if (isLeft(r)) throw r.left
  const parts = timmParts(r.right, file)
  if (parts.epoch === undefined) throw new Error(`${file}: no 'epoch' (not a checkpoint timm's train.py wrote: give it as --initial-checkpoint to start from its weights)`)
  return { kind: 'timm', file, parts }
}

/** The options timm saved in the checkpoint (`args`), as rxception's (timm features rxception lacks are reported through `warn`). */
export const timmResumeOptions = (r: TimmResume, warn: (line: string) => void): Partial<TrainConfig> =>
  fromTimmArgs({ ...(r.parts.args ?? {}), resume: '' }, `${r.file} (its args)`, warn)

/**
 * The state the run continues from: the checkpoint's weights (strict: every name and shape) and
 * batch-norm statistics, RMSpropTF's state mapped from timm's positions, and the step at the start
 * of the epoch after the saved one (timm's version-2 rule: `start_epoch = epoch + 1`).
 *
 * @example
 * const initial = timmInitialState(r, config, net, stepsPerEpoch)
 */
export const timmInitialState = (r: TimmResume, c: TrainConfig, net: Layer, perEpoch: number, optInit: (p: TrainState['params']) => TrainState['opt']): TrainState => {
  const fresh = initialState(c, net, optInit, { file: r.file, tensors: r.parts.weights, classifier: classifierPrefix(c) })
  if (c.opt !== 'rmsproptf') throw new Error(`--resume ${r.file}: continuing timm's optimizer state needs --opt rmsproptf (RMSpropTF), not ${c.opt}; to restart the optimizer, pass the file as --initial-checkpoint`)
  const opt = r.parts.optimizer ? rmspropTfStateFromTimm(r.parts.optimizer, fresh.params, r.file) : fresh.opt
  const epoch = (r.parts.version ?? 1) > 1 ? r.parts.epoch! + 1 : r.parts.epoch!
  return { ...fresh, opt, step: epoch * perEpoch }
}
