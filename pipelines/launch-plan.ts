import { readFileSync } from 'fs'
import * as path from 'path'
import { quote } from 'shell-quote'
import { ConfigError } from './config'
import { parseEvaluateFlags } from './evaluate'
import { readGrid, sweepMembers } from './sweep'

/** Marks where a task's index goes in its arguments (the engine's variable, expanded by the task's shell). */
export const INDEX = '\u0000index\u0000'

/**
 * Independent work an engine fans out: `tasks` array tasks each running `rxception ...task` with
 * its index, then one reduce job running `rxception ...merge`. Paths are as the tasks see them
 * (relative ones from the launch's working folder).
 */
export interface LaunchPlan {
  readonly kind: 'sweep' | 'evaluate'
  /** The job's name: a DNS-1123 label (Kubernetes' rule; Slurm takes it as it is). */
  readonly name: string
  readonly tasks: number
  readonly task: readonly string[]
  readonly merge: readonly string[]
  /** A sweep's grid file, as given, and its text (Kubernetes ships it in a ConfigMap). */
  readonly grid?: { readonly file: string; readonly text: string }
}

const LABEL = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/

/**
 * A job name from a file or folder name, or the one given (checked): lower case, letters, digits
 * and '-', at most 52 characters (an Indexed Job's pod names add the index and a suffix within
 * Kubernetes' 63).
 *
 * @example
 * jobName(null, 'rxception-Learning_Rates') // 'rxception-learning-rates'
 */
export const jobName = (given: string | null, from: string): string => {
  if (given !== null) {
    if (!LABEL.test(given)) throw new ConfigError(`--name: expected lower-case letters, digits and '-', at most 52, starting and ending with a letter or digit; got '${given}'`)
    return given
  }
  return from.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 52).replace(/-+$/, '') || 'rxception'
}

const stem = (file: string) => path.basename(file).replace(/\.[^.]*$/, '')

/**
 * A sweep fanned out: one task a member (`sweep --grid G --output O --index I`), then `sweep
 * --merge O`, which writes the report. The grid is read and every member decoded here, so a bad
 * value fails at launch, not on the cluster.
 *
 * @example
 * sweepPlan('lr.yaml', null, null).tasks // the number of members
 */
export const sweepPlan = (grid: string, output: string | null, name: string | null): LaunchPlan => {
  const tasks = sweepMembers(readGrid(grid), grid).length
  const out = output ?? path.join('output', 'sweep', stem(grid))
  return { kind: 'sweep', name: jobName(name, `rxception-${stem(grid)}`), tasks, task: ['sweep', '--grid', grid, '--output', out, '--index', INDEX], merge: ['sweep', '--merge', out], grid: { file: grid, text: readFileSync(grid, 'utf8') } }
}

/**
 * A sharded evaluation fanned out: task I runs `evaluate ARGS --shard I/N --out O/part-I.json`,
 * then `evaluate --merge` of exactly parts 0..N-1 writes O/evaluation.json (and refuses a missing or
 * duplicated part). The evaluate options are checked here.
 *
 * @example
 * evaluatePlan(4, ['--weights', 'run/model.safetensors', '--data', 'folder:val'], null, null).task
 */
export const evaluatePlan = (shards: number, args: readonly string[], output: string | null, name: string | null): LaunchPlan => {
  const own = args.find(a => a === '--shard' || a === '--out' || a === '--merge')
  if (own) throw new ConfigError(`launch: ${own} is the launch's to set (each task gets --shard I/${shards} and --out OUTPUT/part-I.json)`)
  parseEvaluateFlags(args)
  const out = output ?? path.join('output', 'evaluate', 'sharded')
  const part = (i: string | number) => path.join(out, `part-${i}.json`)
  return {
    kind: 'evaluate', name: jobName(name, `rxception-evaluate-${path.basename(out)}`), tasks: shards,
    task: ['evaluate', ...args, '--shard', `${INDEX}/${shards}`, '--out', part(INDEX)],
    merge: ['evaluate', '--merge', ...Array.from({ length: shards }, (_, i) => part(i)), '--out', path.join(out, 'evaluation.json')],
  }
}

/**
 * A POSIX shell command line: each word quoted, INDEX replaced by `"$variable"`.
 *
 * @example
 * shellLine(['node', 'cli.js', 'sweep', '--index', INDEX], 'SLURM_ARRAY_TASK_ID')
 * // 'node cli.js sweep --index "$SLURM_ARRAY_TASK_ID"'
 */
export const shellLine = (words: readonly string[], variable: string): string =>
  words.map(w => w.split(INDEX).map(piece => (piece === '' ? '' : quote([piece]))).join(`"$${variable}"`)).join(' ')

/**
 * Slurm's time format ([D-]H:MM:SS, H:MM, M) in seconds, for a Job's activeDeadlineSeconds.
 *
 * @example
 * timeSeconds('1-02:00:00') // 93600
 */
export const timeSeconds = (time: string): number => {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(time)
  if (!m) throw new ConfigError(`--time: expected [D-]H:MM:SS (Slurm's form), got '${time}'`)
  const [, d, a, b, c] = m
  // M, H:MM, H:MM:SS, as Slurm reads them
  const [h, min, s] = b === undefined ? [0, Number(a), 0] : c === undefined ? [Number(a), Number(b), 0] : [Number(a), Number(b), Number(c)]
  return ((Number(d ?? 0) * 24 + h) * 60 + min) * 60 + s
}
