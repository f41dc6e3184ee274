import { isLeft } from 'fp-ts/Either'
import { existsSync, readFileSync } from 'fs'
import * as path from 'path'
import { Backend } from '../lib/backend'
import { readImage } from '../lib/data/image'
import { preprocess } from '../lib/data/preprocess'
import { PRETRAINED_PREPROCESS } from '../modules'
import { importStateDict, readWeightsFile } from '../lib/io'
import { keyFromSeed } from '../lib/tensor'
import { ModelChoice, buildModel } from './model-options'
import { topClasses } from '../lib/train/classify'

/**
 * Classifies images with a network and a timm safetensors state dict: timm's preprocessing for the
 * released weights, a strict load by name, one inference pass per image, softmax, top-k.
 */
export interface Prediction {
  readonly image: string
  readonly top: { index: number; class: string; probability: number }[]
  readonly logits: number[]
}

/** An image that could not be classified, with why (one line naming the file). */
export interface Failure {
  readonly image: string
  readonly error: string
}

export const isFailure = (r: Prediction | Failure): r is Failure => 'error' in r

let classNames: string[] | undefined
export const imagenetClasses = (): string[] =>
  (classNames ??= JSON.parse(readFileSync(dataFile('imagenet-classes.json'), 'utf8')) as string[])

/** A bundled file under data/: beside the sources (pipelines/) or the compiled code (dist/pipelines/). */
const dataFile = (name: string): string => {
  const candidates = [path.join(__dirname, '..', 'data', name), path.join(__dirname, '..', '..', 'data', name)]
  return candidates.find(f => existsSync(f)) ?? candidates[0]!
}

/**
 * The [1, size, size, 3] model input with `channels` channels: grey is toChannels' luma, taken after
 * normalising (its weights sum to 1, so it commutes with the affine normalisation).
 */
/**
 * Each image is classified or, when it cannot be read, reported with why; one bad image does not
 * stop the others.
 *
 * @example
 * const results = await predict(choice, 'model.safetensors', ['cat.jpg', 'dog.png'], backend)
 */
export const predict = async (choice: ModelChoice, weights: string, images: readonly string[], be: Backend, top = 5): Promise<(Prediction | Failure)[]> => {
  if (images.length === 0) throw new Error('predict: give at least one image file')
  const net = buildModel(choice)
  const cfg = { ...PRETRAINED_PREPROCESS[choice.model], size: choice.input }
  const loaded = importStateDict(net.spec([1, cfg.size, cfg.size, choice.channels]), await readWeightsFile(weights), weights)
  if (isLeft(loaded)) throw loaded.left
  const classes = choice.options.classes === 1000 ? imagenetClasses() : undefined
  const out: (Prediction | Failure)[] = []
  for (const image of images) {
    let x
    try {
      x = preprocess(await readImage(image), cfg, choice.channels)
    } catch (e) {
      out.push({ image, error: (e as Error).message })
      continue
    }
    const { y } = await net.apply(loaded.right.params, loaded.right.state, x, { training: false, key: keyFromSeed(0), backend: be })()
    out.push({ image, top: topClasses(y.data, top, classes), logits: Array.from(y.data) })
  }
  return out
}

export const formatPredictions = (ps: readonly Prediction[]): string =>
  ps.map(p => [p.image, ...p.top.map(t => `  ${(100 * t.probability).toFixed(2).padStart(6)}%  ${String(t.index).padStart(4)}  ${t.class}`)].join('\n')).join('\n\n')
