/**
 * rxception in a browser: the same kernels, layers, networks, optimizers, schedules and training
 * loop as in Node, with weights and images from `ArrayBuffer`, `Blob` and `ImageBitmap` instead of
 * files. `npm run build:browser` bundles it into `dist/web/rxception.mjs` (the package's
 * `rxception/browser` export); the platform module, the gpu.js loader, the backend probes and the
 * image decoder are their browser variants there (`*.browser.ts`, swapped in by
 * bin/browser-bundle.cjs).
 *
 * webasm runs worker threads only in a cross-origin-isolated page (served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`, as
 * `rxception serve` does); elsewhere it runs on one thread and its `device` says so.
 *
 * @example
 * import { createBackend, NETWORKS, keyFromSeed, data, io } from 'rxception/browser'
 * const backend = await createBackend('auto') // webgpu or webgl2 on a hardware GPU, else webasm
 * const net = NETWORKS['inception-resnet-v2']({ width: 1 / 8, classes: 10 })
 * const { params, state } = net.init(keyFromSeed(0), [1, 75, 75, 3])
 * const image = await data.imageFromBlob(droppedFile) // an RgbImage
 * const weights = await io.readSafetensorsFrom(io.blobSource(weightsFile), weightsFile.name)
 *
 * @packageDocumentation
 */
export * as tensor from './tensor'
export * as backend from './backend'
export * as ops from './ops'
export * as nn from './nn'
export * as tree from './tree'
export * as optim from './optim'
export * as schedule from './schedule'
export * as train from './train/web'
export * as data from './data/web'
export * as io from './io/web'
export * as networks from '../modules'

export { Tensor, keyFromSeed } from './tensor'
export type { Key, Shape } from './tensor'
export { createBackend, availability } from './backend'
export type { Backend, Mode } from './backend'
export type { Layer, Ctx } from './nn'
export { NETWORKS, inceptionV4, inceptionResNetV1, inceptionResNetV2 } from '../modules'
export type { NetworkOptions } from '../modules'
export { rmsproptf, rmsprop, sgd } from './optim'
export { train as trainLoop, evaluate } from './train/web'
export type { TrainEvent, TrainState } from './train/web'
export { PLATFORM } from './platform'
