import { Layer } from '../lib/nn'
import { NETWORKS, NetworkOptions } from '../modules'

/** Command-line model options shared by summary, predict and the benchmarks. */
export interface ModelChoice {
  readonly model: keyof typeof NETWORKS
  readonly options: NetworkOptions
  readonly input: number
  readonly channels: number
}

export const MODEL_USAGE = `  --model NAME         ${Object.keys(NETWORKS).join(' | ')} (default inception-v4)
  --variant ref|paper  released code (default) or the paper's figures
  --classes N          classifier width (default 1000)
  --no-gamma           batch norm without gamma (TF-slim, Keras)
  --width W            filter-count multiplier (default 1)
  --repeats A,B,C      block repeat counts
  --same-stride2       'same' stride-2 layers, for small images
  --input S            input height and width (default 299)
  --channels C         input channels (default 3)
  --dropout-keep P     keep probability before the classifier (default 0.8)`

/** Reads `--name value` or a bare `--flag`; throws on unknown flags so typos are not silently ignored. */
export const parseFlags = (argv: readonly string[], known: readonly string[], booleans: readonly string[], positional?: string[]): Map<string, string> => {
  const out = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) {
      if (!positional) throw new Error(`unexpected argument '${a}'`)
      positional.push(a)
      continue
    }
    const name = a.slice(2)
    if (booleans.includes(name)) out.set(name, 'true')
    else if (known.includes(name)) {
      const v = argv[++i]
      if (v === undefined) throw new Error(`--${name} needs a value`)
      out.set(name, v)
    } else throw new Error(`unknown option --${name}`)
  }
  return out
}

const number = (flags: Map<string, string>, name: string, fallback: number, check: (v: number) => boolean, expected: string): number => {
  const raw = flags.get(name)
  if (raw === undefined) return fallback
  const v = Number(raw)
  if (!check(v)) throw new Error(`--${name}: expected ${expected}, got '${raw}'`)
  return v
}

export const MODEL_FLAGS = ['model', 'variant', 'classes', 'width', 'repeats', 'input', 'channels', 'dropout-keep']
export const MODEL_BOOLEANS = ['no-gamma', 'same-stride2']

export const modelChoice = (flags: Map<string, string>): ModelChoice => {
  const model = (flags.get('model') ?? 'inception-v4') as keyof typeof NETWORKS
  if (!(model in NETWORKS)) throw new Error(`--model: expected one of ${Object.keys(NETWORKS).join(', ')}, got '${model}'`)
  const variant = flags.get('variant') ?? 'ref'
  if (variant !== 'ref' && variant !== 'paper') throw new Error(`--variant: expected ref or paper, got '${variant}'`)
  const repeatsRaw = flags.get('repeats')
  const repeats = repeatsRaw?.split(',').map(Number)
  if (repeats && (repeats.length !== 3 || repeats.some(r => !Number.isInteger(r) || r < 1))) {
    throw new Error(`--repeats: expected three positive integers A,B,C, got '${repeatsRaw}'`)
  }
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0
  return {
    model,
    input: number(flags, 'input', 299, positiveInt, 'a positive integer'),
    channels: number(flags, 'channels', 3, positiveInt, 'a positive integer'),
    options: {
      variant,
      classes: number(flags, 'classes', 1000, positiveInt, 'a positive integer'),
      width: number(flags, 'width', 1, v => v > 0, 'a positive number'),
      dropoutKeep: number(flags, 'dropout-keep', 0.8, v => v > 0 && v <= 1, 'a probability in (0, 1]'),
      gamma: !flags.has('no-gamma'),
      sameStride2: flags.has('same-stride2'),
      ...(repeats ? { repeats: repeats as [number, number, number] } : {}),
    },
  }
}

export const buildModel = (c: ModelChoice): Layer => NETWORKS[c.model](c.options)
