import test from 'ava'
import { spawnSync } from 'child_process'
import * as fc from 'fast-check'
import { isLeft, isRight } from 'fp-ts/Either'
import { existsSync, mkdtempSync, promises as fs, readFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { Tensor } from '../../lib/tensor'
import { TorchCheckpointError, fromTorchLayout, readTorchCheckpoint, rmspropTfStateFromTimm, rmspropTfStateToTimm, timmParts, toTorchLayout, writeTorchSave } from '../../lib/io'
import { rmsproptf } from '../../lib/optim'
import { Tree, flatten, unflatten } from '../../lib/tree'
import { backendFor } from '../helpers/backends'
import { PYTHON } from '../helpers/wds'

/** Checkpoints written by Debian's torch (test/fixtures/hostile_pth.py): a timm-style one and hostile ones. */
const dir = mkdtempSync(path.join(tmpdir(), 'rxc-pth-'))
const made = spawnSync(PYTHON, [path.join(__dirname, '..', 'fixtures', 'hostile_pth.py'), dir], { encoding: 'utf8', timeout: 120_000 })
const file = (name: string) => {
  if (made.status !== 0) throw new Error(`hostile_pth.py: ${made.stderr || made.error?.message}`)
  return path.join(dir, name)
}

test("a timm checkpoint written by torch: the state dict's float tensors, RMSpropTF's state by position and its groups, epoch, version and args", async t => {
  const r = await readTorchCheckpoint(file('good.pth.tar'))()
  if (isLeft(r)) return t.fail(r.left.message)
  const p = timmParts(r.right, 'good.pth.tar')
  const expected = JSON.parse(readFileSync(file('good.json'), 'utf8')) as { weights: Record<string, number[]>; state: Record<string, Record<string, number[]>>; groups: Record<string, unknown>[] }
  t.is(p.source, 'state_dict')
  t.deepEqual([...p.weights.keys()].sort(), Object.keys(expected.weights).sort(), 'num_batches_tracked (int64) left out')
  for (const [k, v] of p.weights) t.deepEqual([...v.data], [...Float32Array.from(expected.weights[k]!)], k)
  t.is(p.epoch, 3)
  t.is(p.version, 2)
  t.deepEqual(p.args, { lr: 0.045, model: 'tiny', opt: 'rmsproptf' })
  t.deepEqual([...p.optimizer!.state.keys()], [0, 1, 2, 3, 4, 5])
  for (const [i, s] of p.optimizer!.state) {
    for (const [k, v] of Object.entries(expected.state[String(i)]!)) {
      const got = s.get(k)!
      t.deepEqual(got instanceof Tensor ? [...got.data] : [got], [...Float32Array.from(v)], `state ${i}.${k}`)
    }
  }
  t.deepEqual(p.optimizer!.groups.map(g => g.params), expected.groups.map(g => g.params))
  t.is(p.optimizer!.groups[0]!.settings.eps, 1)
  t.is(p.optimizer!.groups[0]!.settings.alpha, 0.9)
})

test('hostile checkpoints are refused in one line naming what was refused, and nothing runs', async t => {
  const refused = async (name: string, message: RegExp) => {
    const r = await readTorchCheckpoint(file(name))()
    t.true(isLeft(r), name)
    if (isLeft(r)) {
      t.true(r.left instanceof TorchCheckpointError)
      t.regex(r.left.message, message)
      t.false(r.left.message.includes('\n'), `${name}: one line`)
    }
  }
  await refused('system.pth.tar', /system\.pth\.tar: refusing the pickle's global 'posix\.system'.*nothing was run/)
  await refused('eval.pth.tar', /refusing the pickle's global '(__builtin__|builtins)\.eval'/)
  await refused('unlisted.pth.tar', /refusing the pickle's global 'collections\.Counter'/)
  await refused('bomb.pth.tar', /declare 209715200 bytes from a \d+-byte file \(a zip bomb\?\); refused before inflating/)
  await refused('truncated.pth.tar', /not a PyTorch checkpoint \(a zip archive\) or truncated/)
  t.false(existsSync(path.join(dir, 'pwned')))
})

test('mutated checkpoints: always a typed result (tensors or a one-line refusal naming the file), never a throw or a hang', async t => {
  const base = await fs.readFile(file('good.pth.tar'))
  let n = 0
  let accepted = 0
  await t.notThrowsAsync(fc.assert(
    fc.asyncProperty(fc.array(fc.record({ at: fc.nat(base.length - 1), value: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() }), { minLength: 1, maxLength: 3 }), async ms => {
      let bytes = Buffer.from(base)
      for (const m of ms) {
        if (m.cut) bytes = bytes.subarray(0, Math.max(1, m.at % bytes.length))
        else bytes[m.at % bytes.length] = m.value
      }
      const f = path.join(dir, `m${n++}.pth.tar`)
      await fs.writeFile(f, bytes)
      const r = await readTorchCheckpoint(f)()
      if (isRight(r)) {
        accepted++
        return true
      }
      return r.left instanceof TorchCheckpointError && r.left.message.startsWith(f) && !r.left.message.includes('\n')
    }),
    { numRuns: 200, seed: 20261202 },
  ))
  t.log(`${accepted} of 200 mutations still read (bytes outside every member's data, such as timestamps)`)
})

/** params + updates, leaf by leaf, in float32 as the loop applies them. */
const applyUpdatesSync = (params: Tree, updates: Tree): Tree => {
  const u = new Map(flatten(updates))
  return unflatten(flatten(params).map(([k, p]) => [k, Tensor.adopt(p.shape, p.data.map((v, i) => v + u.get(k)!.data[i]!))] as const))
}

test("timm's RMSpropTF state read back by position continues the optimizer: one more step here equals timm's next step (two groups, PyTorch layout, the buffer's sign)", async t => {
  const rs = mkdtempSync(path.join(tmpdir(), 'rxc-rms-'))
  const r = spawnSync(PYTHON, [path.join(__dirname, '..', 'fixtures', 'timm_rmsprop_resume.py'), rs], { encoding: 'utf8', timeout: 120_000 })
  t.is(r.status, 0, r.stderr)
  const ck = await readTorchCheckpoint(path.join(rs, 'resume.pth.tar'))()
  if (isLeft(ck)) return t.fail(ck.left.message)
  const parts = timmParts(ck.right, 'resume.pth.tar')
  t.is(parts.optimizer!.groups.length, 2)
  const params = unflatten([...parts.weights].map(([k, v]) => [k, fromTorchLayout(v)] as const))
  const state = rmspropTfStateFromTimm(parts.optimizer!, params, 'resume.pth.tar')
  const next = JSON.parse(readFileSync(path.join(rs, 'next.json'), 'utf8')) as { lr: number; grads: Record<string, number[]>; after: Record<string, number[]> }
  const grads = unflatten(flatten(params).map(([k, p]) => [k, fromTorchLayout(Tensor.fromArray(toTorchLayout(p).shape, next.grads[k]!))] as const))
  const backend = await backendFor('cpu')
  const opt = rmsproptf({ weightDecay: 4e-5, momentum: 0.9, epsilon: 1 })
  const { updates } = await opt.update(grads, state, { learningRate: next.lr, params, backend })
  const after = new Map(flatten(applyUpdatesSync(params, updates)))
  for (const [k, expected] of Object.entries(next.after)) {
    const got = toTorchLayout(after.get(k)!).data
    const worst = expected.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0)
    t.true(worst < 1e-6, `${k}: worst difference ${worst}`)
  }
  t.throws(() => rmspropTfStateFromTimm(parts.optimizer!, unflatten(flatten(params).slice(1)), 'resume.pth.tar'), { message: /resume\.pth\.tar: optimizer: its groups hold 6 parameters .* this network has 5/ })
})

test("export to timm's --resume form: timm's own RMSpropTF, loaded from the file rxception wrote, takes the next step it would have taken", async t => {
  const rs = mkdtempSync(path.join(tmpdir(), 'rxc-rms-out-'))
  const fixture = path.join(__dirname, '..', 'fixtures', 'timm_rmsprop_resume.py')
  t.is(spawnSync(PYTHON, [fixture, rs], { encoding: 'utf8', timeout: 120_000 }).status, 0)
  const ck = await readTorchCheckpoint(path.join(rs, 'resume.pth.tar'))()
  if (isLeft(ck)) return t.fail(ck.left.message)
  const parts = timmParts(ck.right, 'resume.pth.tar')
  const params = unflatten([...parts.weights].map(([k, v]) => [k, fromTorchLayout(v)] as const))
  const opt = rmspropTfStateFromTimm(parts.optimizer!, params, 'resume.pth.tar')
  const file = path.join(rs, 'exported.pth.tar')
  await writeTorchSave(file, { kind: 'dict', entries: [
    ['epoch', 4], ['version', 2],
    ['state_dict', { kind: 'ordered-dict', entries: flatten(params).map(([k, v]) => [k, { kind: 'tensor', tensor: toTorchLayout(v) }] as const) }],
    ['optimizer', rmspropTfStateToTimm(opt, params, 2, { lr: 0.045, momentum: 0.9, eps: 1, weightDecay: 4e-5, weightDecayAll: false })],
  ] })
  const r = spawnSync(PYTHON, [fixture, rs, '--continue', file], { encoding: 'utf8', timeout: 120_000 })
  t.is(r.status, 0, r.stderr)
  const { worst, epoch, version } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { worst: number; epoch: number; version: number }
  t.is(epoch, 4)
  t.is(version, 2)
  t.true(worst < 1e-6, `timm's step from rxception's file differs from its step from its own by ${worst}`)
})
