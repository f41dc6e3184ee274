import { readFileSync } from 'fs'
import { ConfigError, DEFAULT_CONFIG, TrainConfig, decodeConfig, flagOf } from '../lib/train/config'
import { FlagKind, tokenize } from './flags'

/** Keys whose value may be null and is a number when given (the other nullable ones are paths). */
const NULLABLE_NUMBERS = new Set(['optEps', 'clipGrad', 'numClasses'])

/** Each option's kind on the command line, from its default's type. */
export const TRAIN_KINDS: Record<string, FlagKind> = Object.fromEntries(
  Object.entries(DEFAULT_CONFIG).map(([k, v]) => [k, k === 'repeats' ? 'numbers' : typeof v === 'boolean' ? 'boolean' : typeof v === 'number' || NULLABLE_NUMBERS.has(k) ? 'number' : 'string']),
)

/**
 * `rxception train` flags to a TrainConfig: timm's names (`-b/--batch-size`, `--opt-eps`, `--drop`,
 * ...), booleans as bare flags (`--no-aug`), and `--config FILE.json` for a JSON object of the same
 * options (camelCase keys), which flags override. Unknown flags and bad values are ConfigErrors
 * naming the flag.
 *
 * @example
 * parseTrainFlags(['--epochs', '2', '-b', '64'])
 */
export const parseTrainFlags = (argv: readonly string[], base: TrainConfig = DEFAULT_CONFIG, command = 'train'): TrainConfig =>
  parseTrainFlagsWith(argv, {}, base, command).config

/** parseTrainFlags for a command that adds options of its own (evaluate): those come back raw, by key. */
export const parseTrainFlagsWith = (argv: readonly string[], extra: Record<string, FlagKind>, base: TrainConfig = DEFAULT_CONFIG, command = 'train') => {
  const { raw } = tokenize(command, argv, { ...TRAIN_KINDS, ...extra, config: 'string' }, { aliases: { '-b': '--batch-size' } })
  const own: Record<string, unknown> = {}
  const flags: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) (k in extra ? own : flags)[k] = v
  const { config: file, ...rest } = flags
  let fileConfig: unknown = {}
  if (typeof file === 'string') {
    try {
      fileConfig = JSON.parse(readFileSync(file, 'utf8'))
    } catch (e) {
      throw new ConfigError(`--config: ${file}: ${(e as Error).message}`)
    }
  }
  return { config: decodeConfig(rest, command, decodeConfig(fileConfig, '--config', base)), extra: own }
}

export const TRAIN_USAGE = `usage: rxception train [options]      (timm's train.py names where it has the option)
${Object.entries(DEFAULT_CONFIG).map(([k, v]) => `  ${flagOf(k).padEnd(22)} default ${JSON.stringify(v)}`).join('\n')}
  --config FILE.json     options as a JSON object (camelCase keys); flags override it
  -b                     same as --batch-size
  --model                ${['inception-v4', 'inception-resnet-v1', 'inception-resnet-v2', 'inception-resnet-v1-tiny'].join(' | ')}
  data sources (--data, --val-data): mnist | mnist:heldout | folder:DIR | idx:IMAGES,LABELS | ndjson:FILE | ndjson:-`
