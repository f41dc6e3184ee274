import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'fs'
import * as path from 'path'
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/Either'
import { parse } from 'yaml'
import { Flags, ValuesOf, intIn, parseCommand, usageOf } from '../lib/flags'
import { writeTextAtomic } from '../lib/io'
import { ConfigError, TrainConfig, decodeConfig } from './config'
import { mergeSweep } from './sweep-report'

/**
 * A sweep: independent training runs, the members, from one file (`rxception sweep --grid
 * GRID.yaml`): `base` options shared by all, then either `grid` (every combination of the listed
 * values, in the order the keys are written, the last key varying fastest) or `members` (a list of
 * option sets). Options are `rxception train`'s (camelCase keys, as config.json). An ensemble is a
 * sweep over `seed`.
 *
 * @example
 * // GRID.yaml:  base: { epochs: 2 }   grid: { lr: [0.045, 0.01], seed: [1, 2] }
 * sweepMembers(readGrid('GRID.yaml'), 'GRID.yaml').length // 4
 */
export const Grid = t.partial({ base: t.UnknownRecord, grid: t.record(t.string, t.array(t.unknown)), members: t.array(t.UnknownRecord) },
  'a sweep file: base (options), and grid (option: [values]) or members ([options])')
export type Grid = t.TypeOf<typeof Grid>

/**
 * Reads and checks a sweep file (YAML or JSON).
 *
 * @example
 * const g = readGrid('lr.yaml')
 */
export const readGrid = (file: string): Grid => {
  let raw: unknown
  try {
    raw = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ConfigError(`--grid: ${file}: ${(e as Error).message.split('\n')[0]}`)
  }
  const g = Grid.decode(raw)
  if (isLeft(g)) throw new ConfigError(`--grid: ${file}: expected ${Grid.name}`)
  const unknown = Object.keys(raw as object).filter(k => !['base', 'grid', 'members'].includes(k))
  if (unknown.length) throw new ConfigError(`--grid: ${file}: unknown key '${unknown[0]}' (base, grid, members)`)
  if (!g.right.grid === !g.right.members) throw new ConfigError(`--grid: ${file}: give either grid or members`)
  return g.right
}

/**
 * The members' options, each decoded as `rxception train` decodes a config (a bad value names the
 * member and the option), in sweep order.
 */
export const sweepMembers = (g: Grid, source: string): { readonly options: Record<string, unknown>; readonly config: TrainConfig }[] => {
  const sets: Record<string, unknown>[] = g.members
    ? g.members.map(m => ({ ...g.base, ...m }))
    : Object.entries(g.grid!).reduce<Record<string, unknown>[]>((acc, [k, values]) => {
      if (values.length === 0) throw new ConfigError(`--grid: ${source}: grid.${k} lists no values`)
      return acc.flatMap(a => values.map(v => ({ ...a, [k]: v })))
    }, [{ ...g.base }])
  return sets.map((options, i) => ({ options, config: decodeConfig(options, `--grid ${source}, member ${i}`) }))
}

/**
 * Which member this process runs: `--index I`, else the engine's array index (Slurm's
 * `SLURM_ARRAY_TASK_ID`, Kubernetes' `JOB_COMPLETION_INDEX`), else all of them in turn.
 *
 * @example
 * memberIndex(null, { SLURM_ARRAY_TASK_ID: '3' }, 4) // 3
 */
export const memberIndex = (flag: number | null, env: NodeJS.ProcessEnv, count: number): number | null => {
  const fromEnv = env.SLURM_ARRAY_TASK_ID ?? env.JOB_COMPLETION_INDEX
  const i = flag ?? (fromEnv !== undefined ? Number(fromEnv) : null)
  if (i !== null && !(Number.isInteger(i) && i >= 0 && i < count)) throw new ConfigError(`sweep: member index ${flag !== null ? `--index ${flag}` : `${fromEnv} (from the environment)`} is not in 0..${count - 1}`)
  return i
}

/**
 * A member's folder under the sweep's: member-000, member-001, ...
 *
 * @example
 * memberFolder('output/sweep/lr', 2) // 'output/sweep/lr/member-002'
 */
export const memberFolder = (out: string, i: number) => path.join(out, `member-${String(i).padStart(3, '0')}`)

/**
 * Whether the run in a folder trained to its end: the last line of its events.ndjson is a `done`
 * with reason 'finished' (a run stopped by a signal writes its weights too, with reason 'stopped').
 * Reads the file's tail only: a long run's event log holds a line a step.
 *
 * @example
 * runFinished('output/sweep/lr/member-002') // false while it trains
 */
export const runFinished = (dir: string): boolean => {
  const file = path.join(dir, 'events.ndjson')
  if (!existsSync(file) || !existsSync(path.join(dir, 'model.safetensors'))) return false
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    const tail = Buffer.alloc(Math.min(size, 8192))
    readSync(fd, tail, 0, tail.length, size - tail.length)
    const last = tail.toString('utf8').trimEnd().split('\n').pop() ?? ''
    try {
      const e = JSON.parse(last) as { type?: string; reason?: string }
      return e.type === 'done' && e.reason === 'finished'
    } catch {
      return false
    }
  } finally {
    closeSync(fd)
  }
}

export const SWEEP_FLAGS = {
  grid: { kind: 'string', codec: t.union([t.string, t.null], 'a sweep file'), help: 'the sweep: base, and grid or members (YAML or JSON; required)' },
  index: { kind: 'number', codec: t.union([intIn(0, 1_000_000), t.null], 'a member index'), help: 'run member I only (default: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, else every member in turn)' },
  output: { kind: 'string', codec: t.union([t.string, t.null], 'a folder'), help: "the sweep's folder: a member-NNN folder per member (default output/sweep/<grid name>)" },
} as const satisfies Flags
const SWEEP_DEFAULTS: ValuesOf<typeof SWEEP_FLAGS> = { grid: null, index: null, output: null }

/**
 * `rxception sweep --grid GRID.yaml [--index I] [--output DIR]`: writes DIR/sweep.json (the
 * members' options) and runs the chosen member(s) with `train` into DIR/member-NNN. A member that
 * finished (its model.safetensors exists) is not run again; one that stopped resumes from its
 * checkpoint, so an engine's retry continues rather than restarts, and no member writes outside
 * its own folder. A member stopped by a signal ends the command there. `rxception sweep --merge
 * DIR` checks that every member finished and writes the sweep's report (see mergeSweep).
 *
 * @example
 * await sweepCommand(['--grid', 'lr.yaml', '--index', '2'], runMember)
 */
export const sweepCommand = async (argv: readonly string[], runMember: (config: TrainConfig) => Promise<'finished' | 'stopped' | undefined>): Promise<void> => {
  if (argv.includes('--help')) return console.log(`usage: rxception sweep --grid GRID.yaml [--index I] [--output DIR]\n       rxception sweep --merge DIR\n${usageOf(SWEEP_FLAGS, SWEEP_DEFAULTS)}`)
  if (argv[0] === '--merge') {
    if (argv.length !== 2) throw new ConfigError('sweep --merge: give the sweep\'s folder (sweep --merge DIR)')
    const r = mergeSweep(argv[1]!)
    for (const m of r.members) console.log(`${m.folder}  ${Object.entries(m.differs).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}  final top-1 ${m.finalTop1 ?? 'n/a'}  best ${m.bestTop1 ?? 'n/a'}`)
    return console.error(`sweep --merge: ${r.members.length} members; report in ${path.join(argv[1]!, 'report.html')} and report.json`)
  }
  const { values: v } = parseCommand('sweep', argv, SWEEP_FLAGS, SWEEP_DEFAULTS)
  if (!v.grid) throw new ConfigError('sweep: --grid FILE is required')
  const members = sweepMembers(readGrid(v.grid), v.grid)
  const out = v.output ?? path.join('output', 'sweep', path.basename(v.grid).replace(/\.[^.]*$/, ''))
  mkdirSync(out, { recursive: true })
  // parallel members write it at once: each whole, never a torn file
  writeTextAtomic(path.join(out, 'sweep.json'), `${JSON.stringify({ grid: path.resolve(v.grid), members: members.map(m => m.options) }, null, 2)}\n`)
  const only = memberIndex(v.index, process.env, members.length)
  for (const [i, m] of members.entries()) {
    if (only !== null && i !== only) continue
    const dir = memberFolder(out, i)
    if (runFinished(dir)) {
      console.error(`sweep: member ${i} finished already (${dir})`)
      continue
    }
    const resume = existsSync(path.join(dir, 'last.ckpt.safetensors'))
    console.error(`sweep: member ${i} of ${members.length}${resume ? ', resuming' : ''}: ${JSON.stringify(m.options)}`)
    const reason = await runMember({ ...m.config, output: dir, ...(resume ? { resume: dir } : {}) })
    if (reason === 'stopped') return console.error(`sweep: member ${i} stopped; it resumes from its checkpoint when run again`)
  }
}
