import * as t from 'io-ts'
import { Flags, ValuesOf, intIn } from '../lib/flags'
import { MODEL_DEFAULTS, MODEL_FLAGS } from './model-options'

/** The flag tables of summary and predict (train and evaluate: train-flags.ts, evaluate.ts). */
export const SUMMARY_FLAGS = {
  ...MODEL_FLAGS,
  depth: { kind: 'number', codec: t.union([intIn(1, 64), t.null], 'an integer in [1, 64]'), help: 'group rows by the first N path segments' },
} as const satisfies Flags
export const SUMMARY_DEFAULTS: ValuesOf<typeof SUMMARY_FLAGS> = { ...MODEL_DEFAULTS, depth: null }

export const PREDICT_FLAGS = {
  ...MODEL_FLAGS,
  weights: { kind: 'string', codec: t.union([t.string, t.null], 'a .safetensors file'), help: 'timm-named weights (required)' },
  top: { kind: 'number', codec: intIn(1, 100000), help: 'classes to list per image (at most --num-classes)' },
  json: { kind: 'boolean', codec: t.boolean, help: 'print JSON with every logit' },
} as const satisfies Flags
export const PREDICT_DEFAULTS: ValuesOf<typeof PREDICT_FLAGS> = { ...MODEL_DEFAULTS, weights: null, top: 5, json: false }
