import * as t from 'io-ts'
import { isLeft } from 'fp-ts/Either'

/**
 * A configuration error: one line naming the option, the value and what is allowed.
 *
 * @example
 * try { decodeConfig({ lr: -1 }, 'mine') } catch (e) { if (e instanceof ConfigError) console.error(e.message) }
 */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Option name as the user wrote it: `batchSize` → `--batch-size`.
 *
 * @example
 * flagOf('batchSize') // '--batch-size'
 */
export const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`

/**
 * The one command-line parser every command uses. Tokenising turns `--name value` pairs into raw
 * values by each option's kind (numbers must be plain decimals: no `0x10`, `Infinity` or ``);
 * decoding runs the option's io-ts codec. Unknown flags and bad values are ConfigErrors of one line
 * naming the flag, the value and what is allowed.
 */
export type FlagKind = 'number' | 'string' | 'boolean' | 'numbers' | 'strings'

export interface Flag {
  readonly kind: FlagKind
  readonly codec: t.Mixed
  readonly help: string
}

export type Flags = Record<string, Flag>

/** The typed values of a flag table. */
export type ValuesOf<F extends Flags> = { -readonly [K in keyof F]: t.TypeOf<F[K]['codec']> }

/** Spellings of earlier releases, refused with the name that replaced them (timm's). */
export const RENAMED: Readonly<Record<string, string>> = {
  '--classes': '--num-classes',
  '--input': '--img-size',
  '--channels': '--in-chans',
  '--dropout-keep': '--drop (the drop rate, 1 − keep)',
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/

/** `--batch-size` → `batchSize`. */
export const keyOfFlag = (flag: string): string => flag.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())

const number = (flag: string, raw: string): number => {
  if (!DECIMAL.test(raw)) throw new ConfigError(`${flag}: expected a decimal number, got '${raw}'`)
  return Number(raw)
}

export interface Tokens {
  readonly raw: Record<string, unknown>
  readonly positional: string[]
}

/**
 * argv → { camelCaseKey: value } by kind. `strings` options may repeat (`--weights a --weights b`)
 * or take a comma list; `numbers` take a comma list. Positional arguments are refused unless the
 * command takes them.
 */
export const tokenize = (command: string, argv: readonly string[], kinds: Readonly<Record<string, FlagKind>>, o: { aliases?: Record<string, string>; positional?: boolean } = {}): Tokens => {
  const raw: Record<string, unknown> = {}
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const flag = o.aliases?.[argv[i]!] ?? argv[i]!
    if (!flag.startsWith('--')) {
      if (!o.positional) throw new ConfigError(`${command}: unexpected argument '${flag}' (options start with --)`)
      positional.push(flag)
      continue
    }
    const renamed = RENAMED[flag]
    if (renamed) throw new ConfigError(`${command}: ${flag} is now ${renamed}`)
    const key = keyOfFlag(flag)
    const kind = Object.prototype.hasOwnProperty.call(kinds, key) ? kinds[key] : undefined
    if (!kind) throw new ConfigError(`${command}: unknown option ${flag} (rxception ${command} --help lists them)`)
    if (kind === 'boolean') {
      raw[key] = true
      continue
    }
    const v = argv[++i]
    if (v === undefined || (v.startsWith('--') && kind !== 'string')) throw new ConfigError(`${flag}: needs a value`)
    if (kind === 'number') raw[key] = number(flag, v)
    else if (kind === 'numbers') raw[key] = v.split(',').map(p => number(flag, p))
    else if (kind === 'strings') raw[key] = [...((raw[key] as string[] | undefined) ?? []), ...v.split(',').filter(Boolean)]
    else raw[key] = v
  }
  return { raw, positional }
}

/** Decodes raw values over the defaults with each flag's codec. */
export const decodeFlags = <F extends Flags>(raw: Record<string, unknown>, flags: F, defaults: ValuesOf<F>): ValuesOf<F> => {
  const out: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(raw)) {
    const flag = flags[key]!
    const r = flag.codec.decode(value)
    if (isLeft(r)) throw new ConfigError(`${flagOf(key)}: expected ${flag.codec.name}, got ${JSON.stringify(value)}`)
    out[key] = r.right
  }
  return out as ValuesOf<F>
}

/**
 * tokenize, then decodeFlags.
 *
 * @example
 * const { values, positional } = parseCommand('predict', argv, PREDICT_FLAGS, PREDICT_DEFAULTS, { positional: true })
 */
export const parseCommand = <F extends Flags>(command: string, argv: readonly string[], flags: F, defaults: ValuesOf<F>, o: { positional?: boolean; aliases?: Record<string, string> } = {}) => {
  const kinds = Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, f.kind]))
  const { raw, positional } = tokenize(command, argv, kinds, o)
  return { values: decodeFlags(raw, flags, defaults), positional }
}

/** One line per option: flag, help, default. */
export const usageOf = <F extends Flags>(flags: F, defaults: ValuesOf<F>): string =>
  Object.entries(flags).map(([k, f]) => `  ${`${flagOf(k)}${f.kind === 'boolean' ? '' : ` ${f.kind === 'number' ? 'N' : f.kind === 'numbers' ? 'A,B,C' : 'X'}`}`.padEnd(24)} ${f.help}${(defaults as Record<string, unknown>)[k] !== undefined ? ` (default ${JSON.stringify((defaults as Record<string, unknown>)[k])})` : ''}`).join('\n')

// codecs shared by the commands' flag tables
export const intIn = (lo: number, hi: number) => t.refinement(t.number, v => Number.isInteger(v) && v >= lo && v <= hi, `an integer in [${lo}, ${hi}]`)
export const numberIn = (lo: number, hi: number, loOpen = false) => t.refinement(t.number, v => Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi, `a number in ${loOpen ? '(' : '['}${lo}, ${hi}]`)
export const oneOf = <A extends string>(values: readonly A[]) => t.keyof(Object.fromEntries(values.map(v => [v, null])) as Record<A, null>, values.join(' | '))
export const listOf = <A extends string>(values: readonly A[]) => t.array(oneOf(values), `a comma list of ${values.join(' | ')}`)
