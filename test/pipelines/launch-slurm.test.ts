import test from 'ava'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { stringify } from 'yaml'
import { runEngine } from '../helpers/engine'
import { startSlurm } from '../helpers/slurm'

/**
 * The fan-out of docs/scale-out.md on a real Slurm (Debian's slurm-wlm and munge, started by the
 * test on this machine): `rxception launch slurm --submit --wait` runs a 4-member sweep of the
 * default network (inception-resnet-v1-tiny on the bundled digits) at 2 epochs as a job array and
 * its reduce job; one member is requeued by Slurm mid-run (SIGTERM: it checkpoints, and resumes
 * when it runs again) and the merged report is the one with that member run without a stop. Then a
 * 4-shard evaluation of a member's weights runs as a job array with its merge, equal to the
 * unsharded evaluation.
 */
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'))

test.serial('Slurm job arrays: a 4-member sweep with one member requeued mid-run merges to the uninterrupted result; a 4-shard evaluation merges to the unsharded one', async t => {
  // 4 members of 2 epochs two at a time on 2 cores, a reference member, 5 evaluations: minutes
  t.timeout(40 * 60_000)
  const slurm = await startSlurm()
  t.teardown(() => slurm.stop())
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-launch-'))
  const grid = path.join(dir, 'lr-seed.yaml')
  writeFileSync(grid, stringify({ base: { epochs: 2 }, grid: { lr: [0.045, 0.02], seed: [1, 2] } }))
  const out = path.join(dir, 'sweep')
  const scripts = path.join(dir, 'jobs')
  const launch = runEngine(process.execPath, [cli, 'launch', 'slurm', '--grid', grid, '--output', out, '--scripts', scripts, '--parallel', '2', '--cpus', '1', '--submit', '--wait'], slurm.env)

  // member 1, a few steps into its first epoch (two epochs from its end, minutes on any machine):
  // Slurm requeues it, which sends SIGTERM (it checkpoints mid-epoch and exits), then runs it again
  const member1 = path.join(out, 'member-001')
  const stepsOf = (dir: string) => {
    try {
      return readFileSync(path.join(dir, 'events.ndjson'), 'utf8').split('\n').filter(l => l.startsWith('{"type":"step"')).length
    } catch {
      return 0
    }
  }
  for (let i = 0; stepsOf(member1) < 20; i++) {
    if (i > 6000) t.fail('member 1 took no 20 steps in 20 minutes')
    await sleep(200)
  }
  const task = slurm.command('squeue', ['-h', '-n', 'rxception-lr-seed', '-t', 'RUNNING', '-o', '%i']).split('\n').find(id => id.endsWith('_1'))
  t.truthy(task, 'member 1 is running')
  const asked = Date.now()
  slurm.command('scontrol', ['requeue', task!])
  t.log(`requeue of task ${task} asked at member 1's step ${stepsOf(member1)}`)
  const launched = await launch
  t.is(launched.status, 0, launched.out.slice(-3000))
  t.regex(launched.out, /array job \d+ \(4 tasks\)/)

  const logs = readdirSync(path.join(scripts, 'logs'))
  const log1 = readFileSync(path.join(scripts, 'logs', logs.find(f => /^rxception-lr-seed-\d+_1\.log$/.test(f))!), 'utf8')
  if (!log1.includes('resuming')) t.log(`slurmctld.log's last lines, ${Math.round((Date.now() - asked) / 1000)} s after the requeue was asked:\n${slurm.tail('slurmctld.log', 40)}`)
  t.regex(log1, /terminated \(SIGTERM\): finishing the current step and writing a checkpoint/, 'member 1 was stopped by the requeue')
  t.regex(log1, /sweep: member 1 of 4, resuming/, 'and resumed from its checkpoint')
  const report = json(path.join(out, 'report.json')) as { members: { index: number; epochs: number; finalTop1: number | null; differs: Record<string, unknown> }[]; differing: string[] }
  t.deepEqual(report.differing, ['lr', 'seed'])
  t.deepEqual(report.members.map(m => [m.index, m.epochs, m.differs]), [[0, 2, { lr: 0.045, seed: 1 }], [1, 2, { lr: 0.045, seed: 2 }], [2, 2, { lr: 0.02, seed: 1 }], [3, 2, { lr: 0.02, seed: 2 }]])
  for (const m of report.members) t.true(m.finalTop1 !== null && m.finalTop1 > 50, `member ${m.index} learnt: ${m.finalTop1}%`)
  t.log(`final top-1: ${report.members.map(m => `${m.finalTop1}%`).join(', ')}`)
  t.true(readFileSync(path.join(out, 'report.html'), 'utf8').includes('held-out top-1'))

  // member 1 without the stop, as the task ran it (one thread), outside Slurm
  const ref = path.join(dir, 'reference')
  const alone = await runEngine(process.execPath, [cli, 'sweep', '--grid', grid, '--output', ref, '--index', '1'], { RXCEPTION_THREADS: '1', UV_THREADPOOL_SIZE: '1' })
  t.is(alone.status, 0, alone.out.slice(-2000))
  t.deepEqual(readFileSync(path.join(member1, 'model.safetensors')), readFileSync(path.join(ref, 'member-001', 'model.safetensors')), "the requeued member's weights are the uninterrupted run's, bit for bit")
  const unstopped = path.join(dir, 'unstopped')
  cpSync(out, unstopped, { recursive: true })
  rmSync(path.join(unstopped, 'member-001'), { recursive: true })
  cpSync(path.join(ref, 'member-001'), path.join(unstopped, 'member-001'), { recursive: true })
  const merged = await runEngine(process.execPath, [cli, 'sweep', '--merge', unstopped])
  t.is(merged.status, 0, merged.out.slice(-2000))
  t.deepEqual(json(path.join(unstopped, 'report.json')), report, 'the merged result is the one without the stop')

  // a 4-shard evaluation of member 0 as a job array and its merge, against the unsharded evaluation
  const member0 = ['--config', path.join(out, 'member-000', 'config.json'), '--weights', path.join(out, 'member-000', 'model.safetensors')]
  const evalDir = path.join(dir, 'evaluation')
  const sharded = await runEngine(process.execPath, [cli, 'launch', 'slurm', '--shards', '4', '--output', evalDir, '--scripts', path.join(dir, 'eval-jobs'), '--cpus', '1', '--submit', '--wait', '--', ...member0], slurm.env)
  t.is(sharded.status, 0, sharded.out.slice(-3000))
  const whole = await runEngine(process.execPath, [cli, 'evaluate', ...member0, '--out', path.join(dir, 'whole.json')])
  t.is(whole.status, 0, whole.out.slice(-2000))
  const [a, b] = [json(path.join(evalDir, 'evaluation.json')), json(path.join(dir, 'whole.json'))]
  t.is(a.examples, b.examples)
  t.is(a.top1, b.top1)
  t.is(a.top5, b.top5)
  t.deepEqual(a.confusion, b.confusion)
  t.deepEqual(a.counts.top1, b.counts.top1)
  // the loss is a sum of per-example terms: four partial sums added in another order
  t.true(Math.abs(a.loss - b.loss) <= 1e-12 * Math.abs(b.loss), `merged loss ${a.loss}, unsharded ${b.loss}`)
  t.log(`evaluation of member 0: ${b.examples} examples, top-1 ${(100 * b.top1).toFixed(2)}%, in 4 shards and whole`)

  // a task that fails for good (its weights file is not there): requeued once, then the merge is
  // cancelled and launch --wait says so, exit 1
  const failing = path.join(dir, 'failing-jobs')
  const failed = await runEngine(process.execPath, [cli, 'launch', 'slurm', '--shards', '2', '--retries', '1', '--output', path.join(dir, 'failing'), '--scripts', failing, '--cpus', '1', '--submit', '--wait', '--',
    '--config', path.join(out, 'member-000', 'config.json'), '--weights', path.join(dir, 'missing.safetensors')], slurm.env)
  t.is(failed.status, 1, failed.out.slice(-2000))
  t.regex(failed.out, /merge job \d+ ended [A-Z]+ \(a task failed for good\?/)
  const failedLog = readFileSync(path.join(failing, 'logs', readdirSync(path.join(failing, 'logs')).find(f => f.endsWith('_0.log'))!), 'utf8')
  t.regex(failedLog, /missing\.safetensors/)
  t.regex(failedLog, /requeued \(retry 1 of 1\)/)
  t.false(existsSync(path.join(dir, 'failing', 'evaluation.json')))
})
