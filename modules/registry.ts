import { PreprocessConfig } from '../lib/data/preprocess'
import { inceptionResNetV1 } from './inception-resnet-v1'
import { inceptionResNetV2 } from './inception-resnet-v2'
import { inceptionV4 } from './inception-v4'
import { PRETRAINED_PREPROCESS } from './pretrained'

/**
 * The networks by their CLI names.
 *
 * @example
 * const net = NETWORKS['inception-resnet-v2']({ classes: 5 })
 */
export const NETWORKS = {
  'inception-v4': inceptionV4,
  'inception-resnet-v1': inceptionResNetV1,
  'inception-resnet-v2': inceptionResNetV2,
} as const

/**
 * A network's constructor name.
 *
 * @example
 * const n: NetworkName = MODELS['inception-v4-tiny'].network // 'inception-v4'
 */
export type NetworkName = keyof typeof NETWORKS

/**
 * One model a user can name (`--model`): a network and the shape it is built in, timm's
 * `default_cfg` facts beside it.
 *
 * @example
 * MODELS['inception-resnet-v2'].classifier // 'classif'
 */
export interface RegisteredModel {
  readonly network: NetworkName
  readonly width: number
  /** Block repeat counts [A, B, C]; null: the network's own (4/7/3, 5/10/5, 10/20/10). */
  readonly repeats: readonly [number, number, number] | null
  /** 'same' stride-2 layers (small inputs). */
  readonly sameStride2: boolean
  /** Default input height and width, and channels. */
  readonly imgSize: number
  readonly inChans: 1 | 3
  /** The classifier's parameter prefix (timm's `default_cfgs` `classifier`). */
  readonly classifier: string
  /** How its pretrained weights expect images (timm's `pretrained_cfg`). */
  readonly preprocess: PreprocessConfig
}

const CLASSIFIERS: Record<NetworkName, string> = { 'inception-v4': 'last_linear', 'inception-resnet-v1': 'logits', 'inception-resnet-v2': 'classif' }

const published = (network: NetworkName): RegisteredModel => ({
  network, width: 1, repeats: null, sameStride2: false, imgSize: 299, inChans: 3, classifier: CLASSIFIERS[network], preprocess: PRETRAINED_PREPROCESS[network],
})

/** A small member: width 1/8, one block per stage, 'same' stride-2 layers, 28×28 grey (the bundled digits). */
const tiny = (network: NetworkName): RegisteredModel => ({ ...published(network), width: 0.125, repeats: [1, 1, 1], sameStride2: true, imgSize: 28, inChans: 1 })

/**
 * Every model by name: the three published networks and their `-tiny` members. The one place the
 * CLI, the training configuration and the benchmarks look models up.
 *
 * @example
 * const m = MODELS['inception-resnet-v1-tiny'] // { width: 0.125, repeats: [1, 1, 1], imgSize: 28, inChans: 1, ... }
 */
export const MODELS = {
  'inception-v4': published('inception-v4'),
  'inception-resnet-v1': published('inception-resnet-v1'),
  'inception-resnet-v2': published('inception-resnet-v2'),
  'inception-v4-tiny': tiny('inception-v4'),
  'inception-resnet-v1-tiny': tiny('inception-resnet-v1'),
  'inception-resnet-v2-tiny': tiny('inception-resnet-v2'),
} as const satisfies Record<string, RegisteredModel>

/**
 * A `--model` name.
 *
 * @example
 * const m: ModelName = 'inception-resnet-v2-tiny'
 */
export type ModelName = keyof typeof MODELS

/**
 * The model names, published first.
 *
 * @example
 * MODEL_NAMES.join(' | ') // 'inception-v4 | inception-resnet-v1 | ... | inception-resnet-v2-tiny'
 */
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[]
