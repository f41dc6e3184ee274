import test from 'ava'
import { lastValueFrom, toArray } from 'rxjs'
import { compose, normalize, randomCrop } from '../../lib/data'
import { Layer, flatten } from '../../lib/nn'
import { rmsproptf } from '../../lib/optim'
import { stepDecay } from '../../lib/schedule'
import { Tensor, keyFromSeed } from '../../lib/tensor'
import { TrainEvent, TrainLoop, activityOf, train, watchPatterns } from '../../lib/train'
import { backendFor } from '../helpers/backends'
import { tinyDataset, tinyNet } from '../helpers/tiny'

/** tinyNet, counting the forward passes that carried an inspector (a watched step) and those that did not. */
const counted = (net: Layer) => {
  const calls = { inspected: 0, plain: 0 }
  const layer: Layer = { ...net, apply: (p, s, x, ctx) => { calls[ctx.inspect ? 'inspected' : 'plain']++; return net.apply(p, s, x, ctx) } }
  return { layer, calls }
}

const setup = async (net: Layer): Promise<TrainLoop> => {
  const backend = await backendFor('webasm')
  const key = keyFromSeed(7)
  const { params, state } = net.init(key, [4, 6, 6, 1])
  const optimizer = rmsproptf({ weightDecay: 1e-3 })
  return {
    net, optimizer, schedule: stepDecay(0.05, 0.5, 3), classes: 3, smoothing: 0.1, backend,
    dataset: tinyDataset(24), plan: { batchSize: 4, key, shuffle: true, prepare: compose(randomCrop(1), normalize(0.5, 0.5)) },
    epochs: 2, initial: { params, state, opt: optimizer.init(params), step: 0, key },
  }
}

const paramsOf = (events: TrainEvent[]) => {
  const end = events.find((e): e is Extract<TrainEvent, { type: 'end' }> => e.type === 'end')!
  return flatten(end.snapshot.params).map(([k, v]) => [k, Array.from(v.data)])
}

test('the statistics of an output: exact zeros, channels zero everywhere, mean and standard deviation', t => {
  // 2 positions × 3 channels: channel 1 is zero at both, channel 0 at one
  const a = activityOf(Tensor.fromArray([1, 2, 3], [0, 0, 2, 4, 0, -2]))
  t.is(a.zeros, 3 / 6)
  t.is(a.deadChannels, 1 / 3)
  t.is(a.mean, 4 / 6)
  t.true(Math.abs(a.std - Math.sqrt(24 / 6 - (4 / 6) ** 2)) < 1e-12)
})

test('--watch: activations events at every interval\'s step for the matching layers only; the weights are those of the unwatched run, and an unwatched run shows no layer to an inspector', async t => {
  const plain = counted(tinyNet())
  const unwatched = await lastValueFrom(train(await setup(plain.layer)).pipe(toArray()))
  t.deepEqual(plain.calls, { inspected: 0, plain: 12 }, 'watch off: no step is inspected')
  t.is(unwatched.filter(e => e.type === 'activations').length, 0)

  const watchedNet = counted(tinyNet())
  const watched = await lastValueFrom(train({ ...(await setup(watchedNet.layer)), watch: { layers: watchPatterns('bn, f*'), every: 5 } }).pipe(toArray()))
  t.deepEqual(watchedNet.calls, { inspected: 3, plain: 9 }, 'steps 0, 5 and 10 of 12 are inspected')
  const acts = watched.filter((e): e is Extract<TrainEvent, { type: 'activations' }> => e.type === 'activations')
  t.deepEqual(acts.map(e => e.step), [0, 5, 10])
  for (const e of acts) {
    t.deepEqual(e.layers.map(l => l.layer), ['bn', 'fc'], 'the matching named layers, in the order the forward pass reaches them')
    const [bn, fc] = e.layers
    // bn ends in a ReLU: zeros are there and never negative values; fc is linear
    t.true(bn!.zeros > 0 && bn!.zeros < 1 && bn!.mean > 0, JSON.stringify(bn))
    t.is(fc!.zeros, 0)
    t.true(bn!.gradNorm! > 0 && fc!.gradNorm! > 0)
  }
  t.deepEqual(paramsOf(watched), paramsOf(unwatched), 'watching changes no number of the run')
})

test('a layer that outputs only zeros reads as dead: every value and every channel', async t => {
  const net = tinyNet()
  const o = await setup(net)
  // a batch-norm bias far below zero: the fused ReLU outputs zeros whatever the input
  const params = { ...o.initial.params, bn: { ...(o.initial.params.bn as object), bias: Tensor.fill([4], -100) } }
  const events = await lastValueFrom(train({ ...o, epochs: 1, initial: { ...o.initial, params }, watch: { layers: ['bn'], every: 100 } }).pipe(toArray()))
  const first = events.find((e): e is Extract<TrainEvent, { type: 'activations' }> => e.type === 'activations')!
  t.is(first.layers[0]!.zeros, 1)
  t.is(first.layers[0]!.deadChannels, 1)
})

test('a --watch pattern that matches no layer is an error naming it and the layers there are', async t => {
  const o = await setup(tinyNet())
  const e = await t.throwsAsync(lastValueFrom(train({ ...o, watch: { layers: ['bn', 'repeat_2.*'], every: 5 } })))
  t.regex(e!.message, /--watch: 'repeat_2\.\*' matches no layer of the network \(top-level layers: conv, bn, fc;/)
})
