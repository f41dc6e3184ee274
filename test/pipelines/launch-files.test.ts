import test from 'ava'
import { spawnSync } from 'child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { parseAllDocuments, stringify } from 'yaml'
import { importEsm } from '../../lib/io'

const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
const rx = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 })

const sweepDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-launch-files-'))
  const data = path.join(dir, 'd.ndjson')
  writeFileSync(data, Array.from({ length: 16 }, (_, i) => JSON.stringify({ pixels: Array.from({ length: 64 }, (_, j) => ((i * 7 + j) % 5) / 4), shape: [8, 8, 1], label: i % 2 })).join('\n'))
  const grid = path.join(dir, 'seeds.yaml')
  writeFileSync(grid, stringify({ base: { data: `ndjson:${data}`, width: 0.0625, batchSize: 4, epochs: 1, backend: 'webasm' }, grid: { seed: [1, 2, 3, 4] } }))
  return { dir, grid }
}

type Doc = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any }

test('launch k8s writes a ConfigMap with the grid, an Indexed Job and its merge Job that pass the Kubernetes schemas; the pod command runs its member from JOB_COMPLETION_INDEX', async t => {
  const { dir, grid } = sweepDir()
  const scripts = path.join(dir, 'k8s')
  const r = rx(['launch', 'k8s', '--grid', grid, '--image', 'registry.example/rxception:0.1', '--claim', 'runs', '--parallel', '2', '--retries', '3', '--mem', '4Gi', '--time', '1:00:00',
    '--scripts', scripts, '--output', path.join(dir, 'out'), '--rxception', `${process.execPath} ${cli}`])
  t.is(r.status, 0, r.stderr)
  const docs = parseAllDocuments(readFileSync(path.join(scripts, 'job.yaml'), 'utf8')).map(d => d.toJSON() as Doc)
  t.deepEqual(docs.map(d => d.kind), ['ConfigMap', 'Job'])
  const [config, job] = docs as [Doc, Doc]
  t.is(config.data!['seeds.yaml'], readFileSync(grid, 'utf8'), 'the grid travels whole in the ConfigMap')
  t.is(job.metadata.name, 'rxception-seeds')
  t.like(job.spec, { completionMode: 'Indexed', completions: 4, parallelism: 2, backoffLimitPerIndex: 3, activeDeadlineSeconds: 3600 })
  const pod = job.spec.template.spec
  t.is(pod.restartPolicy, 'Never', 'backoffLimitPerIndex needs it')
  t.deepEqual(pod.containers[0].resources, { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } })
  t.deepEqual(pod.volumes.map((v: { name: string }) => v.name), ['work', 'grid'])
  const command = pod.containers[0].command as string[]
  t.deepEqual(command.slice(0, 2), ['sh', '-c'])
  t.regex(command[2]!, /sweep --grid \/etc\/rxception\/seeds\.yaml --output \S+ --index "\$JOB_COMPLETION_INDEX"$/)
  const [merge] = parseAllDocuments(readFileSync(path.join(scripts, 'merge.yaml'), 'utf8')).map(d => d.toJSON() as Doc)
  t.regex(merge!.spec.template.spec.containers[0].command[2], /sweep --merge \S+out$/)
  t.regex(readFileSync(path.join(scripts, 'submit.sh'), 'utf8'), /kubectl apply -f "\$here\/job\.yaml"\nkubectl wait --for=condition=complete --timeout=3600s job\/rxception-seeds\nkubectl apply -f "\$here\/merge\.yaml"/)

  // the schemas are the check: what was written passes, a wrong type does not
  const { Job } = await importEsm<any>('kubernetes-models/batch/v1')
  const { ConfigMap } = await importEsm<any>('kubernetes-models/v1')
  t.notThrows(() => new Job(job).validate())
  t.notThrows(() => new Job(merge).validate())
  t.notThrows(() => new ConfigMap(config).validate())
  t.throws(() => new Job({ ...job, spec: { ...job.spec, completions: 'four' } }).validate())

  // the pod's command line, run by a shell here with the index Kubernetes would give pod 2 (the
  // grid read from where the ConfigMap would be is the one difference: the file itself here)
  const local = command[2]!.replace('/etc/rxception/seeds.yaml', grid)
  const ran = spawnSync('sh', ['-c', local], { encoding: 'utf8', env: { ...process.env, JOB_COMPLETION_INDEX: '2' }, timeout: 300_000 })
  t.is(ran.status, 0, ran.stderr.slice(-1500))
  t.regex(ran.stderr, /sweep: member 2 of 4: \{.*"seed":3\}/)
  t.true(existsSync(path.join(dir, 'out', 'member-002', 'model.safetensors')))
  t.false(existsSync(path.join(dir, 'out', 'member-001')), 'only its member')
})

test('launch writes Slurm job arrays for a sweep and for a sharded evaluation; bad input is one line naming the flag', t => {
  const { dir, grid } = sweepDir()
  const sweep = rx(['launch', 'slurm', '--grid', grid, '--parallel', '2', '--cpus', '3', '--mem', '6G', '--time', '0:30:00', '--partition', 'cpu', '--scripts', path.join(dir, 's')])
  t.is(sweep.status, 0, sweep.stderr)
  const array = readFileSync(path.join(dir, 's', 'array.sbatch'), 'utf8')
  for (const line of ['#SBATCH --array=0-3%2', '#SBATCH --cpus-per-task=3', '#SBATCH --mem=6G', '#SBATCH --time=0:30:00', '#SBATCH --partition=cpu', '#SBATCH --requeue', `#SBATCH --chdir=${process.cwd()}`]) t.true(array.includes(`${line}\n`), line)
  t.regex(array, /sweep --grid \S+seeds\.yaml --output output\/sweep\/seeds --index "\$SLURM_ARRAY_TASK_ID"/)
  t.regex(readFileSync(path.join(dir, 's', 'submit.sh'), 'utf8'), /--dependency=afterok:"\$array" --kill-on-invalid-dep=yes "\$@"/)

  const evaluation = rx(['launch', 'slurm', '--shards', '3', '--output', path.join(dir, 'ev'), '--scripts', path.join(dir, 'e'), '--', '--weights', 'run/model.safetensors', '--data', 'folder:val images'])
  t.is(evaluation.status, 0, evaluation.stderr)
  const task = readFileSync(path.join(dir, 'e', 'array.sbatch'), 'utf8')
  t.true(task.includes(`evaluate --weights run/model.safetensors --data 'folder:val images' --shard "$SLURM_ARRAY_TASK_ID"/3 --out ${path.join(dir, 'ev')}/part-"$SLURM_ARRAY_TASK_ID".json`), task)
  t.true(readFileSync(path.join(dir, 'e', 'merge.sbatch'), 'utf8').includes(`evaluate --merge ${[0, 1, 2].map(i => path.join(dir, 'ev', `part-${i}.json`)).join(' ')} --out ${path.join(dir, 'ev', 'evaluation.json')}`))

  for (const [args, message] of [
    [['launch', 'pbs', '--grid', grid], /^rxception: launch: expected an engine, slurm or k8s, got 'pbs'$/],
    [['launch', 'k8s', '--grid', grid, '--claim', 'c'], /^rxception: launch k8s: --image IMAGE is required/],
    [['launch', 'slurm', '--grid', grid, '--name', 'Bad_Name'], /^rxception: --name: expected lower-case letters/],
    [['launch', 'slurm', '--shards', '2', '--', '--weights', 'w', '--shard', '0/2'], /^rxception: launch: --shard is the launch's to set/],
    [['launch', 'slurm', '--grid', grid, '--shards', '2'], /^rxception: launch: give either --grid/],
    [['launch', 'slurm', '--grid', grid, '--time', 'soon'], /^rxception: --time: expected \[D-\]H:MM:SS/],
  ] as const) {
    const bad = rx([...args, '--scripts', path.join(dir, 'bad')])
    t.is(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`)
    t.regex(bad.stderr.trim(), message)
    t.is(bad.stderr.trim().split('\n').length, 1, 'one line')
  }
  t.false(existsSync(path.join(dir, 'bad')), 'nothing written when the input is refused')
})
