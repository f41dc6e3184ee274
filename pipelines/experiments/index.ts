import { existsSync, mkdirSync, readFileSync } from 'fs'
import * as path from 'path'
import * as t from 'io-ts'
import { stringify } from 'yaml'
import { Flags, ValuesOf, intIn, oneOf, parseCommand, usageOf } from '../../lib/flags'
import { writeTextAtomic } from '../../lib/io'
import { ConfigError, TrainConfig } from '../config'
import { memberFolder, runFinished, sweepCommand } from '../sweep'
import { Experiment, ExperimentSize, readArmRun } from './experiment'
import { experimentReportHtml } from './report'
import { residualScaling } from './residual-scaling'
import { residualSpeed } from './residual-speed'

export * from './experiment'
export { residualScaling, residualSpeed }

/**
 * The experiments by name (`rxception experiment NAME`).
 *
 * @example
 * EXPERIMENTS['residual-speed'].plan('quick').seeds // [1, 2]
 */
export const EXPERIMENTS: Readonly<Record<string, Experiment>> = { [residualScaling.name]: residualScaling, [residualSpeed.name]: residualSpeed }

export const EXPERIMENT_FLAGS = {
  quick: { kind: 'boolean', codec: t.boolean, help: 'the quick size (minutes on 2 cores; same as --size quick)' },
  size: { kind: 'string', codec: oneOf(['tiny', 'quick', 'full'] as const), help: 'tiny (a test: seconds), quick (minutes), full (under 90 minutes on 2 cores: 48 measured for residual-speed, about 72 for residual-scaling)' },
  output: { kind: 'string', codec: t.union([t.string, t.null], 'a folder'), help: 'the experiment\'s folder: grid.yaml, a member folder per arm and seed, report.html (default output/experiments/<name>-<size>)' },
  index: { kind: 'number', codec: t.union([intIn(0, 1_000_000), t.null], 'a member index'), help: 'run one arm and seed only (default: the engine\'s array index, else all in turn)' },
  report: { kind: 'boolean', codec: t.boolean, help: 'only write the report, from members that ran (after a fan-out with rxception launch)' },
} as const satisfies Flags
const EXPERIMENT_DEFAULTS: ValuesOf<typeof EXPERIMENT_FLAGS> = { quick: false, size: 'full', output: null, index: null, report: false }

/** The sweep an experiment runs: one member per arm and seed, arm-major. */
const sweepOf = (e: Experiment, size: ExperimentSize) => {
  const plan = e.plan(size)
  const members = plan.arms.flatMap(arm => plan.seeds.map(seed => ({ arm, seed })))
  return { plan, members, grid: { base: plan.base, members: members.map(m => ({ ...m.arm.options, seed: m.seed })) } }
}

/**
 * Writes an experiment's report from its members' folders: report.html and report.json (the
 * verdict, and each run's arm, seed, folder and final held-out top-1). Every member must have
 * finished; the first that did not is named.
 *
 * @example
 * writeExperimentReport(EXPERIMENTS['residual-speed'], 'quick', 'output/experiments/residual-speed-quick')
 */
export const writeExperimentReport = (e: Experiment, size: ExperimentSize, out: string): { verdict: string[]; html: string } => {
  const { plan, members } = sweepOf(e, size)
  const unfinished = members.findIndex((_, i) => !runFinished(memberFolder(out, i)))
  if (unfinished >= 0) throw new ConfigError(`experiment ${e.name}: ${memberFolder(out, unfinished)} (${members[unfinished]!.arm.arm}, seed ${members[unfinished]!.seed}) has not finished; run it (--index ${unfinished}) before the report`)
  const runs = members.map((m, i) => readArmRun(memberFolder(out, i), m.arm, m.seed))
  const verdict = e.verdict(runs)
  const html = experimentReportHtml(e, size, plan, runs, verdict)
  writeTextAtomic(path.join(out, 'report.html'), html)
  writeTextAtomic(path.join(out, 'report.json'), `${JSON.stringify({ experiment: e.name, size, verdict, runs: runs.map(r => ({ arm: r.arm, seed: r.seed, folder: r.folder, finalTop1: r.finalTop1, steps: r.losses.at(-1)?.[0] ?? 0, seconds: r.seconds })) }, null, 2)}\n`)
  return { verdict, html }
}

/**
 * `rxception experiment NAME [--quick | --size tiny|quick|full] [--output DIR] [--index I] [--report]`:
 * writes DIR/grid.yaml (the arms × seeds as a sweep, so `rxception launch slurm --grid
 * DIR/grid.yaml --output DIR` can fan them out), runs the members in turn as `rxception sweep`
 * does (finished ones skipped, stopped ones resumed), then writes the report with its verdict.
 *
 * @example
 * await experimentCommand(['residual-speed', '--quick'], runMember)
 */
export const experimentCommand = async (argv: readonly string[], runMember: (config: TrainConfig) => Promise<'finished' | 'stopped' | undefined>): Promise<void> => {
  const names = Object.keys(EXPERIMENTS).join(', ')
  if (argv.length === 0 || argv.includes('--help')) return console.log(`usage: rxception experiment NAME [--quick] [--output DIR] [--index I] [--report]\n  NAME: ${names}\n${usageOf(EXPERIMENT_FLAGS, EXPERIMENT_DEFAULTS)}`)
  const [name, ...rest] = argv
  const e = EXPERIMENTS[name!]
  if (!e) throw new ConfigError(`experiment: unknown experiment '${name}' (${names})`)
  const { values: v } = parseCommand('experiment', rest, EXPERIMENT_FLAGS, EXPERIMENT_DEFAULTS)
  if (v.quick && rest.includes('--size') && v.size !== 'quick') throw new ConfigError(`experiment: --quick and --size ${v.size} disagree`)
  const size: ExperimentSize = v.quick ? 'quick' : v.size
  const out = v.output ?? path.join('output', 'experiments', `${e.name}-${size}`)
  const { members, grid } = sweepOf(e, size)
  mkdirSync(out, { recursive: true })
  const gridFile = path.join(out, 'grid.yaml')
  const text = `# ${e.title} (${size}): ${members.map((m, i) => `member ${i} ${m.arm.arm}, seed ${m.seed}`).join('; ')}\n${stringify(grid)}`
  if (!existsSync(gridFile) || readFileSync(gridFile, 'utf8') !== text) writeTextAtomic(gridFile, text)
  if (!v.report) {
    console.error(`experiment ${e.name} (${size}): ${members.length} runs (${members.map(m => `${m.arm.arm}, seed ${m.seed}`).join('; ')}) in ${out}`)
    await sweepCommand(['--grid', gridFile, '--output', out, ...(v.index !== null ? ['--index', String(v.index)] : [])], runMember)
    if (!members.every((_, i) => runFinished(memberFolder(out, i)))) return console.error(`experiment ${e.name}: not every run has finished; the report is written once they have (--report)`)
  }
  const { verdict } = writeExperimentReport(e, size, out)
  for (const line of verdict) console.log(line)
  console.error(`experiment ${e.name}: report in ${path.join(out, 'report.html')} and report.json`)
}
