import * as t from 'io-ts'
import { Layer } from '../lib/nn'
import { NETWORKS, NetworkOptions } from '../modules'
import { Flags, ValuesOf, intIn, numberIn, oneOf } from '../lib/flags'

/** Command-line model options shared by summary, predict and the benchmarks. */
export interface ModelChoice {
  readonly model: keyof typeof NETWORKS
  readonly options: NetworkOptions
  readonly input: number
  readonly channels: 1 | 3
}

/**
 * The model flags. Ranges keep a typo from becoming a 69-second spec walk or a heap crash:
 * repeats at most 20/40/20 (the published networks use up to 10/20/10), width at most 4.
 */
export const MODEL_FLAGS = {
  model: { kind: 'string', codec: oneOf(Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]), help: 'the network' },
  variant: { kind: 'string', codec: oneOf(['ref', 'paper'] as const), help: 'released code or the paper\'s figures' },
  numClasses: { kind: 'number', codec: intIn(1, 100000), help: 'classifier width (timm --num-classes)' },
  width: { kind: 'number', codec: numberIn(0, 4, true), help: 'filter-count multiplier' },
  repeats: { kind: 'numbers', codec: t.union([t.tuple([intIn(1, 20), intIn(1, 40), intIn(1, 20)]), t.null], 'three integers A,B,C in [1, 20], [1, 40], [1, 20]'), help: 'block repeat counts (default: the network\'s own)' },
  imgSize: { kind: 'number', codec: intIn(8, 2048), help: 'input height and width (timm --img-size)' },
  inChans: { kind: 'number', codec: t.union([t.literal(1), t.literal(3)], '1 | 3'), help: 'input channels: 3 RGB, 1 grey (timm --in-chans)' },
  drop: { kind: 'number', codec: t.refinement(t.number, v => v >= 0 && v < 1, 'a number in [0, 1)'), help: 'dropout rate before the classifier (timm --drop)' },
  noGamma: { kind: 'boolean', codec: t.boolean, help: 'batch norm without gamma (TF-slim, Keras)' },
  sameStride2: { kind: 'boolean', codec: t.boolean, help: '\'same\' stride-2 layers, for small images' },
} as const satisfies Flags

export const MODEL_DEFAULTS: ValuesOf<typeof MODEL_FLAGS> = {
  model: 'inception-v4', variant: 'ref', numClasses: 1000, width: 1, repeats: null, imgSize: 299, inChans: 3, drop: 0.2, noGamma: false, sameStride2: false,
}

export const modelChoice = (v: ValuesOf<typeof MODEL_FLAGS>): ModelChoice => ({
  model: v.model,
  input: v.imgSize,
  channels: v.inChans,
  options: {
    variant: v.variant,
    classes: v.numClasses,
    width: v.width,
    dropoutKeep: 1 - v.drop,
    gamma: !v.noGamma,
    sameStride2: v.sameStride2,
    ...(v.repeats ? { repeats: v.repeats } : {}),
  },
})

export const buildModel = (c: ModelChoice): Layer => NETWORKS[c.model](c.options)
