import { spawnSync } from 'child_process'
import { mkdirSync, writeFileSync } from 'fs'
import * as path from 'path'
import { parse as parseShell } from 'shell-quote'
import * as t from 'io-ts'
import { Flags, ValuesOf, intIn, oneOf, parseCommand, usageOf } from '../lib/flags'
import { ConfigError } from './config'
import { k8sFiles } from './launch-k8s'
import { LaunchPlan, evaluatePlan, sweepPlan, timeSeconds } from './launch-plan'
import { slurmFiles } from './launch-slurm'

const text = (what: string) => t.union([t.string, t.null], what)

export const LAUNCH_FLAGS = {
  grid: { kind: 'string', codec: text('a sweep file'), help: 'fan out this sweep: one task a member, then sweep --merge (its report)' },
  shards: { kind: 'number', codec: t.union([intIn(1, 100_000), t.null], 'a shard count'), help: 'fan out an evaluation: N shards of the evaluate options after --, then evaluate --merge' },
  output: { kind: 'string', codec: text('a folder'), help: "the members' or parts' folder, as the tasks see it (default output/sweep/<grid name>, output/evaluate/sharded)" },
  name: { kind: 'string', codec: text('a job name'), help: 'the job name (default rxception-<grid name> or rxception-evaluate-<output name>)' },
  scripts: { kind: 'string', codec: text('a folder'), help: 'where the job files are written (default launch/<engine>/<name>)' },
  parallel: { kind: 'number', codec: t.union([intIn(1, 100_000), t.null], 'a task count'), help: 'tasks running at once (default all)' },
  cpus: { kind: 'number', codec: intIn(1, 1024), help: "cores a task (Slurm's --cpus-per-task, a pod's cpu request); rxception's threads follow" },
  mem: { kind: 'string', codec: text('a memory size'), help: "memory a task (Slurm: 8G; Kubernetes: 8Gi; default the engine's)" },
  time: { kind: 'string', codec: text('a time limit'), help: "time limit, [D-]H:MM:SS (Slurm's --time; the Job's activeDeadlineSeconds)" },
  retries: { kind: 'number', codec: intIn(0, 100), help: 'times a failed task is retried (Slurm: requeued; Kubernetes: backoffLimitPerIndex)' },
  rxception: { kind: 'string', codec: text('a command'), help: "the command starting rxception on the nodes (default: Slurm, this node and this CLI's path; Kubernetes, rxception)" },
  submit: { kind: 'boolean', codec: t.boolean, help: "submit what was written (runs its submit.sh: sbatch, or kubectl)" },
  wait: { kind: 'boolean', codec: t.boolean, help: 'with --submit on Slurm: return when the merge has run, with its exit code' },
  partition: { kind: 'string', codec: text('a partition'), help: 'Slurm: the partition' },
  account: { kind: 'string', codec: text('an account'), help: 'Slurm: the account' },
  image: { kind: 'string', codec: text('an image'), help: 'Kubernetes: the container image with rxception installed (required)' },
  namespace: { kind: 'string', codec: text('a namespace'), help: 'Kubernetes: the namespace' },
  claim: { kind: 'string', codec: text('a PersistentVolumeClaim'), help: "Kubernetes: the PersistentVolumeClaim holding the data and the output, shared by the pods (required)" },
  mount: { kind: 'string', codec: t.string, help: "Kubernetes: where the claim is mounted; the pods' working folder" },
} as const satisfies Flags

const LAUNCH_DEFAULTS: ValuesOf<typeof LAUNCH_FLAGS> = {
  grid: null, shards: null, output: null, name: null, scripts: null, parallel: null, cpus: 2, mem: null, time: null, retries: 2,
  rxception: null, submit: false, wait: false, partition: null, account: null, image: null, namespace: null, claim: null, mount: '/work',
}

export const LAUNCH_USAGE = `usage: rxception launch slurm|k8s --grid GRID.yaml [options]
       rxception launch slurm|k8s --shards N [options] -- EVALUATE-OPTIONS
Writes a job array (Slurm) or an Indexed Job (Kubernetes) with its reduce job, and with --submit submits them.
${usageOf(LAUNCH_FLAGS, LAUNCH_DEFAULTS)}`

const ENGINES = oneOf(['slurm', 'k8s'] as const)

const words = (line: string): string[] => {
  const parsed = parseShell(line)
  if (parsed.length === 0 || parsed.some(w => typeof w !== 'string')) throw new ConfigError(`--rxception: expected a plain command (words, no operators), got '${line}'`)
  return parsed as string[]
}

/**
 * `rxception launch slurm|k8s ...`: fans a sweep (--grid) or a sharded evaluation (--shards N --
 * EVALUATE-OPTIONS) out on an engine: writes the job files under --scripts and with --submit
 * submits them. Everything is checked before a file is written: the grid's members, the evaluate
 * options, the names and, for Kubernetes, the objects against the API schemas.
 *
 * @example
 * await launchCommand(['slurm', '--grid', 'lr.yaml', '--parallel', '2', '--submit'])
 */
export const launchCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return console.log(LAUNCH_USAGE)
  const engine = ENGINES.decode(argv[0])
  if (engine._tag === 'Left') throw new ConfigError(`launch: expected an engine, slurm or k8s, got '${argv[0]}'`)
  const dashes = argv.indexOf('--')
  const own = dashes < 0 ? argv.slice(1) : argv.slice(1, dashes)
  const evaluateArgs = dashes < 0 ? [] : argv.slice(dashes + 1)
  const { values: v } = parseCommand(`launch ${engine.right}`, own, LAUNCH_FLAGS, LAUNCH_DEFAULTS)
  if ((v.grid === null) === (v.shards === null)) throw new ConfigError('launch: give either --grid GRID.yaml (a sweep) or --shards N -- EVALUATE-OPTIONS (an evaluation)')
  if (v.grid !== null && evaluateArgs.length) throw new ConfigError('launch: options after -- are for --shards (an evaluation); a sweep takes its options from the grid')
  if (v.shards !== null && evaluateArgs.length === 0) throw new ConfigError('launch --shards: give the evaluate options after -- (for example -- --weights run/model.safetensors --data folder:val)')
  if (v.wait && !(v.submit && engine.right === 'slurm')) throw new ConfigError('launch: --wait goes with --submit, on Slurm')
  // checked here for both engines (Slurm would only refuse it at submission)
  if (v.time !== null) timeSeconds(v.time)
  const plan: LaunchPlan = v.grid !== null ? sweepPlan(v.grid, v.output, v.name) : evaluatePlan(v.shards!, evaluateArgs, v.output, v.name)
  const scripts = path.resolve(v.scripts ?? path.join('launch', engine.right, plan.name))
  const rxception = v.rxception !== null ? words(v.rxception) : null
  let files: Record<string, string>
  if (engine.right === 'slurm') {
    const logs = path.join(scripts, 'logs')
    files = slurmFiles(plan, { parallel: v.parallel, cpus: v.cpus, mem: v.mem, time: v.time, partition: v.partition, account: v.account, retries: v.retries },
      // this CLI, by absolute paths: the nodes share this file system (as Slurm's users' homes do)
      { rxception: rxception ?? [process.execPath, path.resolve(process.argv[1] ?? 'rxception')], workdir: process.cwd(), logs })
    mkdirSync(logs, { recursive: true })
  } else {
    if (!v.image) throw new ConfigError('launch k8s: --image IMAGE is required (a container image with rxception installed)')
    if (!v.claim) throw new ConfigError("launch k8s: --claim NAME is required (a PersistentVolumeClaim the pods share: the members' folders and the merge's inputs)")
    if (v.partition || v.account) throw new ConfigError('launch k8s: --partition and --account are Slurm\'s')
    files = await k8sFiles(plan, { image: v.image, namespace: v.namespace, claim: v.claim, mount: v.mount, parallel: v.parallel, cpus: v.cpus, mem: v.mem, time: v.time, retries: v.retries, rxception: rxception ?? ['rxception'] })
  }
  mkdirSync(scripts, { recursive: true })
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(scripts, name), content, { mode: name.endsWith('.sh') || name.endsWith('.sbatch') ? 0o755 : 0o644 })
  console.error(`launch ${engine.right}: ${plan.tasks} ${plan.kind === 'sweep' ? 'members' : 'shards'} as ${engine.right === 'slurm' ? 'a job array' : 'an Indexed Job'} and a merge job: ${Object.keys(files).map(f => path.join(scripts, f)).join(', ')}`)
  if (!v.submit) return console.error(`launch: submit with sh ${path.join(scripts, 'submit.sh')} (or launch again with --submit)`)
  const r = spawnSync('sh', [path.join(scripts, 'submit.sh'), ...(v.wait ? ['--wait'] : [])], { stdio: 'inherit' })
  // the engine's failures are not usage errors: exit 1, one line
  if (r.error) throw new Error(`launch: could not run submit.sh: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`launch: submit.sh exited ${r.status ?? r.signal}${v.wait ? ' (the merge failed, or a task failed for good: see the logs in ' + path.join(scripts, 'logs') + ')' : ''}`)
}
