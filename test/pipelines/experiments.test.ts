import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { parse } from 'yaml'
import { EXPERIMENTS } from '../../pipelines/experiments'
import { memberFolder, runFinished } from '../../pipelines/sweep'
import { runEngine } from '../helpers/engine'

/**
 * Both experiments of issue 20 at their tiny size, as a user runs them (`rxception experiment NAME
 * --size tiny`): every arm and seed ran to its end as a sweep member, the report was written, and
 * its verdict follows from the events: the test then edits a run's events and the rewritten
 * report (`--report`) says what the edited events say.
 */
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'))

const runExperiment = async (name: string, out: string, extra: string[] = []) => {
  const r = await runEngine(process.execPath, [cli, 'experiment', name, '--size', 'tiny', '--output', out, ...extra], {})
  return r
}

test('residual-scaling at tiny size: five arms run with the layers watched; the verdict reads the death off the events', async t => {
  t.timeout(10 * 60_000)
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'rxc-exp-')), 'scaling')
  const r = await runExperiment('residual-scaling', out)
  t.is(r.status, 0, r.out.slice(-3000))
  const plan = EXPERIMENTS['residual-scaling']!.plan('tiny')
  const grid = parse(readFileSync(path.join(out, 'grid.yaml'), 'utf8')) as { members: Record<string, unknown>[] }
  t.is(grid.members.length, plan.arms.length * plan.seeds.length, 'a sweep member per arm and seed')
  t.deepEqual(grid.members.map(m => m.residualScale), [1, 0.3, 0.1, 1, 1])
  for (let i = 0; i < grid.members.length; i++) {
    t.true(runFinished(memberFolder(out, i)), `member ${i} finished`)
    const watched = lines(path.join(memberFolder(out, i), 'events.ndjson')).filter(e => e.type === 'activations')
    t.deepEqual(watched.map(e => e.step), [0, 2], 'watched at every --log-interval (2) of its 4 steps')
    t.deepEqual((watched[0]!.layers as { layer: string }[]).map(l => l.layer), ['repeat_2.0', 'block8', 'conv2d_7b'])
  }
  const config4 = json(path.join(memberFolder(out, 4), 'config.json'))
  t.true(config4.poolNorm && config4.residualScale === 1, 'the extra-batch-norm arm')
  const report = json(path.join(out, 'report.json')) as { verdict: string[]; runs: { arm: string }[] }
  t.deepEqual(report.runs.map(x => x.arm), plan.arms.map(a => a.arm))
  t.regex(report.verdict.at(-1)!, /^Not reproduced at this scale: no unscaled arm died in 4 steps/)
  t.true(readFileSync(path.join(out, 'report.html'), 'utf8').includes('Verdict'))

  // the unscaled arm's conv2d_7b made to output only zeros from step 2 on: the verdict follows
  const events = path.join(memberFolder(out, 0), 'events.ndjson')
  writeFileSync(events, `${lines(events).map(e => e.type === 'activations' && e.step === 2
    ? { ...e, layers: (e.layers as { layer: string }[]).map(l => (l.layer === 'conv2d_7b' ? { ...l, zeros: 1 } : l)) } : e).map(e => JSON.stringify(e)).join('\n')}\n`)
  const again = await runExperiment('residual-scaling', out, ['--report'])
  t.is(again.status, 0, again.out.slice(-2000))
  const verdict = (json(path.join(out, 'report.json')) as { verdict: string[] }).verdict
  t.regex(verdict[0]!, /^unscaled \(1\.0\): conv2d_7b died \(only zeros from then on\) at step 2/)
  t.is(verdict.at(-1), 'Reproduced: without scaling the network died; scaled by 0.1 or 0.3 it did not.')

  // the arms fan out like any sweep: launch reads the experiment's grid.yaml (files written, nothing submitted)
  const scripts = path.join(out, 'jobs')
  const launch = await runEngine(process.execPath, [cli, 'launch', 'slurm', '--grid', path.join(out, 'grid.yaml'), '--output', out, '--scripts', scripts], {})
  t.is(launch.status, 0, launch.out)
  t.true(readFileSync(path.join(scripts, 'array.sbatch'), 'utf8').includes('#SBATCH --array=0-4\n'), 'one task per arm and seed')
})

test('residual-speed at tiny size: both networks on the hard digits; the verdict\'s errors and epochs are the events\'', async t => {
  t.timeout(10 * 60_000)
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'rxc-exp-')), 'speed')
  const r = await runExperiment('residual-speed', out)
  t.is(r.status, 0, r.out.slice(-3000))
  const models = [0, 1].map(i => json(path.join(memberFolder(out, i), 'config.json')))
  t.deepEqual(models.map(c => [c.model, c.width, c.repeats, c.data]), [['inception-v4', 0.125, [1, 1, 1], 'digits-hard'], ['inception-resnet-v2', 0.125, [1, 1, 1], 'digits-hard']])
  const errors = [0, 1].map(i => lines(path.join(memberFolder(out, i), 'events.ndjson')).filter(e => e.type === 'eval').map(e => 1 - (e.top1 as number)))
  t.deepEqual(errors.map(e => e.length), [2, 2], 'held-out after each of 2 epochs')
  const verdict = (json(path.join(out, 'report.json')) as { verdict: string[] }).verdict
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`
  t.true(verdict[0]!.startsWith(`Inception-v4: held-out error ${pct(errors[0]![1]!)} after 2 epochs, best ${pct(Math.min(...errors[0]!))}`), verdict[0])
  t.true(verdict[1]!.startsWith(`Inception-ResNet-v2: held-out error ${pct(errors[1]![1]!)} after 2 epochs`), verdict[1])
  const target = Math.max(Math.min(...errors[0]!), Math.min(...errors[1]!))
  const epochOf = (e: number[]) => e.findIndex(v => v <= target + 1e-12) + 1
  t.regex(verdict[2]!, new RegExp(`^Both reach ${pct(target).replace('.', '\\.')} held-out error: Inception-ResNet-v2 at epoch ${epochOf(errors[1]!)} .*Inception-v4 at epoch ${epochOf(errors[0]!)} `))
  const [a, b] = [epochOf(errors[0]!), epochOf(errors[1]!)]
  t.regex(verdict[3]!, b < a ? /^Reproduced/ : b === a ? /^Not separated/ : /^Not reproduced/)
})

test('experiment: an unknown name, or a report before the runs, is one line naming it', async t => {
  const bad = await runEngine(process.execPath, [cli, 'experiment', 'residual-magic'], {})
  t.is(bad.status, 2, bad.out)
  t.regex(bad.out, /experiment: unknown experiment 'residual-magic' \(residual-scaling, residual-speed\)/)
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'rxc-exp-')), 'none')
  const early = await runEngine(process.execPath, [cli, 'experiment', 'residual-speed', '--size', 'tiny', '--output', out, '--report'], {})
  t.not(early.status, 0)
  t.regex(early.out, /member-000 \(Inception-v4, seed 1\) has not finished; run it \(--index 0\) before the report/)
  t.notRegex(early.out, /\n\s+at /, 'no stack trace')
})
