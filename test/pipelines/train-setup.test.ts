import test from 'ava'
import { isRight } from 'fp-ts/Either'
import { mkdtempSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { exportStateDict, readSafetensors, writeSafetensors } from '../../lib/io'
import { flatten } from '../../lib/nn'
import { keyFromSeed } from '../../lib/tensor'
import { decodeConfig } from '../../pipelines/config'
import { runEvaluation } from '../../pipelines/evaluate'
import { buildNetwork, classifierPrefix, initialState, inputShape } from '../../pipelines/train-setup'
import { backendFor } from '../helpers/backends'

const config = decodeConfig({ width: 0.0625 }, 'test')

const weightsFile = async (classes: number, seed: number) => {
  const net = buildNetwork(config, classes)
  const { params, state } = net.init(keyFromSeed(seed), inputShape(config))
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rxc-setup-')), 'w.safetensors')
  const w = await writeSafetensors(file, exportStateDict(params, state))()
  if (!isRight(w)) throw w.left
  const r = await readSafetensors(file)()
  if (!isRight(r)) throw r.left
  return { file, tensors: r.right.tensors, params }
}

test('--initial-checkpoint loads every tensor; --reset-classifier keeps the trunk and makes a new classifier for the data', async t => {
  const w = await weightsFile(1000, 1)
  const net10 = buildNetwork(config, 10)
  const prefix = classifierPrefix(config)
  t.is(prefix, 'logits')
  t.throws(() => initialState(config, net10, () => ({}), { ...w, classifier: prefix }), { message: /state dict does not match[\s\S]*logits\.weight/ })
  const s = initialState({ ...config, resetClassifier: true }, net10, () => ({}), { ...w, classifier: prefix })
  const loaded = new Map(flatten(s.params))
  const original = new Map(flatten(w.params))
  t.deepEqual(loaded.get('logits.weight')!.shape.slice(-1), [10])
  t.deepEqual(Array.from(loaded.get('conv2d_1a.conv.weight')!.data), Array.from(original.get('conv2d_1a.conv.weight')!.data))
  const same = initialState(config, buildNetwork(config, 1000), () => ({}), { ...w, classifier: prefix })
  t.deepEqual(Array.from(flatten(same.params).find(([k]) => k === 'logits.weight')![1].data), Array.from(original.get('logits.weight')!.data))
})

test('evaluate: an ensemble of one file twice equals the file alone; two different files average their probabilities', async t => {
  const be = await backendFor('webasm')
  const a = await weightsFile(10, 2)
  const b = await weightsFile(10, 3)
  const c = { ...config, data: 'mnist:heldout' }
  const flags = (weights: string[]) => ({ weights, crops: 'centre' as const, resultsFormat: 'csv' as const })
  const one = await runEvaluation(c, flags([a.file]), be, () => undefined)
  const twice = await runEvaluation(c, flags([a.file, a.file]), be, () => undefined)
  t.is(one.examples, 1000)
  t.is(twice.top1, one.top1)
  t.true(Math.abs(twice.loss - one.loss) < 1e-9)
  t.is(one.confusion.flat().reduce((x, y) => x + y, 0), 1000)
  const other = await runEvaluation(c, flags([b.file]), be, () => undefined)
  const both = await runEvaluation(c, flags([a.file, b.file]), be, () => undefined)
  t.true(both.loss <= Math.max(one.loss, other.loss) + 1e-9, 'the mixture\'s cross-entropy is at most the worse member\'s (convexity)')
})

test('--residual-scale sets every residual block\'s scale; --pool-norm adds pool_norm before the pooling; --train-subset trains on a keyed draw', async t => {
  const { keyFromSeed: key, uniform } = await import('../../lib/tensor')
  const { openData } = await import('../../pipelines/train-setup')
  const c = decodeConfig({ model: 'inception-resnet-v2-tiny', repeats: [1, 1, 2] }, 'test')
  const x = uniform(key(3), inputShape({ ...c, batchSize: 2 }))
  const outputOf = async (scale: number | null) => {
    const net = buildNetwork({ ...c, residualScale: scale }, 10)
    const { params, state } = net.init(key(1), x.shape)
    const be = await backendFor('cpu')
    return Array.from((await net.apply(params, state, x, { training: false, key: key(0), backend: be })()).y.data)
  }
  // same initialisation, other residual scales: other logits; null is the released 0.17/0.10/0.20
  t.notDeepEqual(await outputOf(0.1), await outputOf(null))
  t.deepEqual(await outputOf(null), await outputOf(null))
  const names = (poolNorm: boolean) => flatten(buildNetwork({ ...c, poolNorm }, 10).init(key(1), x.shape).params).map(([k]) => k)
  t.deepEqual(names(true).filter(k => !names(false).includes(k)), ['pool_norm.weight', 'pool_norm.bias'])
  const logs: string[] = []
  const sub = await openData({ ...c, trainSubset: 500 }, l => logs.push(l))
  t.is(sub.train.size, 500)
  t.is(sub.heldOut?.size, 1000, 'the held-out digits stay whole')
  const again = await openData({ ...c, trainSubset: 500 }, l => logs.push(l))
  const labels = (d: typeof sub.train) => Array.from({ length: 20 }, (_, i) => ('label' in d ? d.label(i) : -1))
  t.deepEqual(labels(again.train), labels(sub.train), 'the same draw for the same seed')
  t.throws(() => decodeConfig({ residualScale: 0 }, 'test'), { message: /--residual-scale: expected a number in \(0, 1\]/ })
})
