import { readFileSync } from 'fs'
import { ConfigError, DEFAULT_CONFIG, TrainConfig, decodeConfig, flagOf } from '../lib/train/config'

/** Keys whose value may be null and is a number when given (the rest of the nullable ones are paths). */
const NULLABLE_NUMBERS = new Set(['optEps', 'clipGrad', 'numClasses'])
const ALIASES: Record<string, string> = { '-b': '--batch-size' }
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/

const keyOf = (flag: string): string => flag.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())

const valueOf = (key: string, flag: string, raw: string): unknown => {
  const def = (DEFAULT_CONFIG as Record<string, unknown>)[key]
  if (key === 'repeats') {
    const parts = raw.split(',')
    if (parts.length !== 3 || !parts.every(p => DECIMAL.test(p))) throw new ConfigError(`${flag}: expected three integers A,B,C, got '${raw}'`)
    return parts.map(Number)
  }
  if (typeof def === 'number' || NULLABLE_NUMBERS.has(key)) {
    if (!DECIMAL.test(raw)) throw new ConfigError(`${flag}: expected a decimal number, got '${raw}'`)
    return Number(raw)
  }
  return raw
}

/**
 * `rxception train` flags to a TrainConfig: timm's names (`-b/--batch-size`, `--opt-eps`, `--drop`,
 * ...), booleans as bare flags (`--no-aug`), and `--config FILE.json` for a JSON object of the same
 * options (camelCase keys), which flags override. Unknown flags and bad values are ConfigErrors
 * naming the flag.
 */
export const parseTrainFlags = (argv: readonly string[], base: TrainConfig = DEFAULT_CONFIG): TrainConfig => {
  const raw: Record<string, unknown> = {}
  let fileConfig: unknown = {}
  for (let i = 0; i < argv.length; i++) {
    const flag = ALIASES[argv[i]!] ?? argv[i]!
    if (!flag.startsWith('--')) throw new ConfigError(`train: unexpected argument '${flag}' (options start with --)`)
    if (flag === '--config') {
      const file = argv[++i]
      if (file === undefined) throw new ConfigError('--config: needs a JSON file')
      try {
        fileConfig = JSON.parse(readFileSync(file, 'utf8'))
      } catch (e) {
        throw new ConfigError(`--config: ${file}: ${(e as Error).message}`)
      }
      continue
    }
    const key = keyOf(flag)
    if (!Object.prototype.hasOwnProperty.call(TrainConfig.props, key)) throw new ConfigError(`train: unknown option ${flag} (rxception train --help lists them)`)
    if (typeof (DEFAULT_CONFIG as Record<string, unknown>)[key] === 'boolean') {
      raw[key] = true
      continue
    }
    const v = argv[++i]
    if (v === undefined) throw new ConfigError(`${flag}: needs a value`)
    raw[key] = valueOf(key, flag, v)
  }
  const fromFile = decodeConfig(fileConfig, '--config', base)
  return decodeConfig(raw, 'train', fromFile)
}

export const TRAIN_USAGE = `usage: rxception train [options]      (timm's train.py names where it has the option)
${Object.entries(DEFAULT_CONFIG).map(([k, v]) => `  ${flagOf(k).padEnd(22)} default ${JSON.stringify(v)}`).join('\n')}
  --config FILE.json     options as a JSON object (camelCase keys); flags override it
  -b                     same as --batch-size
  data sources (--data, --val-data): mnist | folder:DIR | idx:IMAGES,LABELS | ndjson:FILE | ndjson:-`
