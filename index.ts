/**
 * rxception: Inception-v4 and Inception-ResNet in Node.js, from pure functional parts.
 *
 * The root entry gathers the parts as namespaces (`tensor`, `backend`, `ops`, `nn`, `tree`, `io`,
 * `data`, `optim`, `schedule`, `train`, `networks`) and puts what most programs start with at the top
 * level. Each part is also its own subpath (`rxception/nn`, `rxception/train`, ...).
 *
 * @example
 * const { createBackend, inceptionResNetV2, Tensor, keyFromSeed } = require('rxception')
 * const backend = await createBackend('auto')
 * const net = inceptionResNetV2({ width: 1 / 8, classes: 10 })
 * const { params, state } = net.init(keyFromSeed(0), [1, 75, 75, 3])
 * const { y } = await net.apply(params, state, Tensor.zeros([1, 75, 75, 3]), { training: false, key: keyFromSeed(1), backend })()
 * await backend.destroy()
 *
 * @packageDocumentation
 */
export * as tensor from './lib/tensor'
export * as backend from './lib/backend'
export * as ops from './lib/ops'
export * as nn from './lib/nn'
export * as tree from './lib/tree'
export * as io from './lib/io'
export * as data from './lib/data'
export * as optim from './lib/optim'
export * as schedule from './lib/schedule'
export * as train from './lib/train'
export * as networks from './modules'

export { Tensor, keyFromSeed } from './lib/tensor'
export type { Key, Shape } from './lib/tensor'
export { createBackend } from './lib/backend'
export type { Backend, Mode } from './lib/backend'
export type { Layer, Ctx } from './lib/nn'
export { NETWORKS, inceptionV4, inceptionResNetV1, inceptionResNetV2 } from './modules'
export type { NetworkOptions } from './modules'
export { rmsproptf, rmsprop, sgd } from './lib/optim'
export { train as trainLoop, evaluate } from './lib/train'
export type { TrainEvent, TrainState } from './lib/train'
export { decodeConfig, DEFAULT_CONFIG } from './pipelines/config'
export type { TrainConfig } from './pipelines/config'
export { runTraining } from './pipelines/train'
export type { TrainIo } from './pipelines/train'
export { runEvaluation } from './pipelines/evaluate'
export type { EvaluateFlags } from './pipelines/evaluate'
