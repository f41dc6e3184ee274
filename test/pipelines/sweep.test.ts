import test from 'ava'
import { spawn } from 'child_process'
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { stringify } from 'yaml'
import { memberIndex, readGrid, runFinished, sweepMembers } from '../../pipelines/sweep'
import { mergeSweep } from '../../pipelines/sweep-report'

const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number | null; err: string }>(resolve => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } })
    let err = ''
    child.stderr.on('data', d => (err += d))
    child.stdout.resume()
    const guard = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('close', code => {
      clearTimeout(guard)
      resolve({ code, err })
    })
  })

const file = (content: unknown) => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'rxc-sweep-')), 'grid.yaml')
  writeFileSync(f, typeof content === 'string' ? content : stringify(content))
  return f
}

test('a grid is every combination in key order (the last key fastest); members are a list; bad values name the member; the index comes from the flag or the engine', t => {
  const g = sweepMembers(readGrid(file({ base: { epochs: 2 }, grid: { lr: [0.045, 0.01], seed: [1, 2] } })), 'g')
  t.deepEqual(g.map(m => [m.config.lr, m.config.seed, m.config.epochs]), [[0.045, 1, 2], [0.045, 2, 2], [0.01, 1, 2], [0.01, 2, 2]])
  const l = sweepMembers(readGrid(file({ members: [{ opt: 'sgd' }, { opt: 'rmsprop', lr: 0.001 }] })), 'l')
  t.deepEqual(l.map(m => [m.config.opt, m.config.lr]), [['sgd', 0.045], ['rmsprop', 0.001]])
  t.throws(() => sweepMembers(readGrid(file({ grid: { lr: [0.1, -1] } })), 'bad.yaml'), { message: /--grid bad\.yaml, member 1: --lr: expected a number in \(0, ∞\), got -1/ })
  t.throws(() => readGrid(file({ grid: { lr: [1] }, members: [{}] })), { message: /give either grid or members/ })
  t.throws(() => readGrid(file({ gird: {} })), { message: /unknown key 'gird'/ })
  t.is(memberIndex(null, { SLURM_ARRAY_TASK_ID: '3' }, 4), 3)
  t.is(memberIndex(null, { JOB_COMPLETION_INDEX: '0' }, 4), 0)
  t.is(memberIndex(2, { SLURM_ARRAY_TASK_ID: '3' }, 4), 2, 'the flag wins')
  t.is(memberIndex(null, {}, 4), null)
  t.throws(() => memberIndex(null, { SLURM_ARRAY_TASK_ID: '4' }, 4), { message: /member index 4 \(from the environment\) is not in 0\.\.3/ })
})

test('rxception sweep runs each member into its own folder; a finished member is not run again; a retried member resumes from its checkpoint', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-sweep-run-'))
  const data = path.join(dir, 'd.ndjson')
  writeFileSync(data, Array.from({ length: 16 }, (_, i) => JSON.stringify({ pixels: Array.from({ length: 64 }, (_, j) => ((i * 7 + j) % 5) / 4), shape: [8, 8, 1], label: i % 2 })).join('\n'))
  const grid = path.join(dir, 'seeds.yaml')
  writeFileSync(grid, stringify({ base: { data: `ndjson:${data}`, width: 0.0625, batchSize: 4, epochs: 1, backend: 'webasm' }, grid: { seed: [1, 2] } }))
  const out = path.join(dir, 'sweep')
  const first = await run(['sweep', '--grid', grid, '--output', out])
  t.is(first.code, 0, first.err.slice(-1500))
  const members = [0, 1].map(i => path.join(out, `member-00${i}`))
  for (const m of members) t.true(existsSync(path.join(m, 'model.safetensors')), m)
  t.notDeepEqual(readFileSync(path.join(members[0]!, 'model.safetensors')), readFileSync(path.join(members[1]!, 'model.safetensors')), 'two seeds, two networks')
  t.deepEqual((JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { members: { seed: number }[] }).members.map(m => m.seed), [1, 2])
  const written = statSync(path.join(members[0]!, 'model.safetensors')).mtimeMs
  // the engine retries member 1 (SLURM_ARRAY_TASK_ID): its weights are gone, its checkpoint is there
  rmSync(path.join(members[1]!, 'model.safetensors'))
  const retry = await run(['sweep', '--grid', grid, '--output', out], { SLURM_ARRAY_TASK_ID: '1' })
  t.is(retry.code, 0, retry.err.slice(-1500))
  t.regex(retry.err, /sweep: member 1 of 2, resuming/)
  t.true(existsSync(path.join(members[1]!, 'model.safetensors')))
  const again = await run(['sweep', '--grid', grid, '--output', out, '--index', '0'])
  t.regex(again.err, /sweep: member 0 finished already/)
  t.is(statSync(path.join(members[0]!, 'model.safetensors')).mtimeMs, written, 'member 0 untouched')

  // the merge: the report, and the refusals, each naming the folder
  const report = mergeSweep(out)
  t.deepEqual(report.differing, ['seed'])
  t.deepEqual(report.members.map(m => [m.folder, m.differs, m.epochs]), [['member-000', { seed: 1 }, 1], ['member-001', { seed: 2 }, 1]])
  t.true(existsSync(path.join(out, 'report.html')))
  mkdirSync(path.join(out, 'member-002'))
  t.throws(() => mergeSweep(out), { message: /member-002 not in sweep\.json \(2 members\)/ })
  rmSync(path.join(out, 'member-002'), { recursive: true })
  const config = path.join(members[1]!, 'config.json')
  const original = readFileSync(config, 'utf8')
  writeFileSync(config, JSON.stringify({ ...JSON.parse(original), seed: 3 }))
  t.throws(() => mergeSweep(out), { message: /member-001: trained with other options than sweep\.json lists/ })
  writeFileSync(config, original)
  // a run stopped by a signal writes its weights too; it is not finished
  const stopped = path.join(dir, 'stopped')
  cpSync(out, stopped, { recursive: true })
  appendFileSync(path.join(stopped, 'member-001', 'events.ndjson'), `${JSON.stringify({ type: 'done', step: 2, reason: 'stopped' })}\n`)
  t.false(runFinished(path.join(stopped, 'member-001')))
  t.true(runFinished(path.join(stopped, 'member-000')))
  t.throws(() => mergeSweep(stopped), { message: /1 of 2 members not finished \(trained to their end\): \S+member-001$/ })
})
