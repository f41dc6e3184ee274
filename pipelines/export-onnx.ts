import { isLeft } from 'fp-ts/Either'
import * as path from 'path'
import { exportOnnx, exportStateDict, importStateDict, readWeightsFile, writeTextAtomic } from '../lib/io'
import { Layer, Tree, graphOf } from '../lib/nn'
import { ConfigError, decodeConfig } from './config'
import { ModelChoice, buildModel } from './model-options'
import { buildNetwork } from './train-recipe'
import { classesInWeights } from './train-setup'
import { loadResume } from './train'

/** What an export writes: the network, its inference parameters and state, its input and what a user needs to feed it. */
interface Exportable {
  readonly net: Layer
  readonly params: Tree
  readonly state: Tree
  readonly input: readonly [number, number, number]
  readonly metadata: Record<string, string>
  readonly defaultOut: string
}

/** A training run (its folder or a checkpoint file): the network its config builds, at its checkpoint, and the normalisation its data had. */
export const runExportable = async (target: string): Promise<Exportable> => {
  const r = await loadResume(target)
  const config = decodeConfig(r.config, `${r.file} (its config)`)
  const classes = classesInWeights(new Map(exportStateDict(r.state.params, {})), config) ?? config.numClasses
  if (classes === null || classes === undefined) throw new ConfigError(`export: ${r.file}: the classifier's width is not in the checkpoint or its config`)
  return {
    net: buildNetwork(config, classes),
    params: r.state.params,
    state: r.state.state,
    input: [config.imgSize, config.imgSize, config.inChans],
    metadata: { model: config.model, classes: String(classes), mean: String(config.mean), std: String(config.std), step: String(r.state.step), source: r.file },
    defaultOut: path.join(path.dirname(r.file), 'model.onnx'),
  }
}

/** A network from the model flags with a timm-named weights file (safetensors or .pth.tar), as `predict` loads it. */
export const weightsExportable = async (choice: ModelChoice, weights: string): Promise<Exportable> => {
  const net = buildModel(choice)
  const loaded = importStateDict(net.spec([1, choice.input, choice.input, choice.channels]), await readWeightsFile(weights), weights)
  if (isLeft(loaded)) throw loaded.left
  return {
    net,
    params: loaded.right.params,
    state: loaded.right.state,
    input: [choice.input, choice.input, choice.channels],
    metadata: { model: choice.model, classes: String(choice.options.classes ?? 1000), source: weights },
    defaultOut: weights.replace(/(\.safetensors|\.pth\.tar|\.pth|\.bin)?$/, '.onnx'),
  }
}

/**
 * Writes the model as ONNX (atomically: a failed write leaves no half file) and returns its path.
 *
 * @example
 * writeOnnx(await runExportable('output/train/run'), null, 'nchw')
 */
export const writeOnnx = (e: Exportable, out: string | null, layout: 'nchw' | 'nhwc', version: string): string => {
  const shape = [1, ...e.input]
  const bytes = exportOnnx(graphOf(e.net, shape), e.params, e.state, e.input, { layout, producerVersion: version, metadata: { ...e.metadata, layout } })
  const file = out ?? e.defaultOut
  writeTextAtomic(file, bytes)
  return file
}
