import test from 'ava'
import { execFile } from 'child_process'
import { mkdtempSync, readFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { KernelTrace, markPhase, traceKernels } from '../../lib/backend'
import { gpujsModule } from '../../lib/backend/gpujs'
import { flatten } from '../../lib/tree'
import { STEP_PARTS, partOf, profileLines, profileOf } from '../../lib/train'
import { backendFor } from '../helpers/backends'
import { tinyTraining } from '../helpers/tiny'

test('kernel keys map to the parts of a step', t => {
  t.is(partOf('backward', 'conv2d.dw(8,17,17,64,3,3,96,1,0,0,0,0,false,3d)'), 'filter gradient')
  t.is(partOf('backward', 'conv2d.dx.phase(8,35,35,32,3,3,64,2,0,0,0,0,1)/3d'), 'input gradient')
  t.is(partOf('backward', 'matmul(1536,8,1000,true,false,false,3d)'), 'filter gradient')
  t.is(partOf('backward', 'matmul(8,1000,1536,false,true,false,3d)'), 'input gradient')
  t.is(partOf('backward', 'reduceRows gradSums(64,96,1)'), 'batch norm')
  t.is(partOf('forward', 'map(channelAffine.relu,96,1568)'), 'batch norm')
  t.is(partOf('forward', 'conv2d(8,75,75,3,3,3,32,2,0,0,0,0,false,2d)'), 'forward')
  t.is(partOf('optimizer', 'optim.fused(abc,96,1,true)'), 'optimizer')
  t.is(partOf('loss', 'lse(8,1000)'), 'loss')
})

test('kernels running at the same time share the interval, and the parts add up to the wall time', t => {
  const trace: KernelTrace = {
    start: 0, end: 100, copies: null,
    phases: [{ name: 'forward', start: 0, end: 40 }, { name: 'backward', start: 40, end: 100 }],
    spans: [
      { key: 'conv2d(a)', phase: 'forward', start: 10, end: 30 },
      { key: 'conv2d.dx(a)', phase: 'backward', start: 40, end: 80 },
      { key: 'conv2d.dw(a)', phase: 'backward', start: 60, end: 90 },
    ],
  }
  const p = profileOf(trace, 2)
  const ms = Object.fromEntries(p.parts.map(r => [r.part, r.ms]))
  // per step (2): forward 20/2; dx alone 20 then shares 20 with dw; dw shares 20 then runs 10 alone
  t.is(ms.forward, 10)
  t.is(ms['input gradient'], 15)
  t.is(ms['filter gradient'], 10)
  t.is(ms['outside kernels'], 15)
  t.is(p.parts.reduce((a, r) => a + r.ms, 0), p.wallMs)
  t.deepEqual(p.phases, [{ name: 'forward', ms: 20 }, { name: 'backward', ms: 30 }])
  t.deepEqual(p.parts.map(r => r.part), [...STEP_PARTS])
  t.is(p.top[0]!.key, 'conv2d.dx(a)')
})

test('webasm: a traced training step records every kernel call, its phases and the copies, and leaves the kernels as they were', async t => {
  const be = await backendFor('webasm')
  const { x, params, step, batch, st0 } = tinyTraining(be)
  const plain = await step(st0, batch)
  const calls = be.stats.calls
  const { value: traced, trace } = await traceKernels(be, () => step(st0, batch))
  t.is(trace.spans.length, be.stats.calls - calls, 'every kernel call is in the trace')
  t.deepEqual(trace.phases.map(p => p.name), ['forward', 'loss', 'backward', 'optimizer'])
  const tracedParams = new Map(flatten(traced.state.params))
  for (const [path, v] of flatten(plain.state.params)) t.deepEqual(tracedParams.get(path)!.data, v.data, `${path}: traced as untraced`)
  t.is(traced.loss, plain.loss)
  t.true(trace.copies !== null && trace.copies.inValues > x.size, 'webasm counts its copies in (the batch is not resident)')
  // over the arena (Node's default) outputs stay where the kernel wrote them
  t.is(trace.copies!.outValues > 0, be.arena === undefined, `copies out: ${trace.copies!.outValues} values`)
  const p = profileOf(trace, 1)
  const part = (name: string) => p.parts.find(r => r.part === name)!
  t.true(part('filter gradient').calls >= 1, 'the convolution and the dense layer have filter gradients')
  t.is(part('optimizer').calls, flatten(params).length, 'one fused kernel per parameter tensor')
  t.true(Math.abs(p.parts.reduce((a, r) => a + r.ms, 0) - p.wallMs) < 1e-6)
  t.regex(profileLines(p).join('\n'), /filter gradient[\s\S]*copies in/)
  const klass = gpujsModule<{ WebAssemblyKernel: { copyClock: unknown } }>('src/backend/web-assembly/kernel.js').WebAssemblyKernel
  t.is(klass.copyClock, null, 'the copy clock is off again')
  markPhase(be, 'forward') // without a trace: nothing happens
  await t.throwsAsync(traceKernels(be, () => traceKernels(be, async () => 0)), { message: /already being traced/ })
})

const run = promisify(execFile)

test('rxception bench --detail prints and stores the profile of each rxception row', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxception-detail-'))
  const out = path.join(dir, 'run.json')
  const md = path.join(dir, 'RESULTS.md')
  const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')
  const { stdout } = await run(process.execPath, [cli, 'bench', '--models', 'inception-resnet-v1-tiny', '--sizes', '40:2:infer,40:2:train', '--num-classes', '10',
    '--warmup', '0', '--reps', '1', '--detail', '--out', out, '--markdown', md], { timeout: 240_000 })
  const rows = JSON.parse(readFileSync(out, 'utf8')).rows as { pass: string; profile?: { parts: { part: string; calls: number }[]; phases: { name: string }[] } }[]
  const train = rows.find(r => r.pass === 'train')!.profile!
  t.deepEqual(train.phases.map(p => p.name), ['forward', 'loss', 'backward', 'optimizer'])
  t.true(train.parts.find(r => r.part === 'filter gradient')!.calls > 0)
  t.true(train.parts.find(r => r.part === 'optimizer')!.calls > 0)
  const infer = rows.find(r => r.pass === 'infer')!.profile!
  t.deepEqual(infer.phases.map(p => p.name), ['forward'])
  t.is(infer.parts.find(r => r.part === 'filter gradient')!.calls, 0)
  t.regex(stdout, /40x40x2 train: where the time goes[\s\S]*outside kernels/)
  t.regex(readFileSync(md, 'utf8'), /## rxception webasm inception-resnet-v1-tiny 40x40x2 train: where the time goes/)
})
