/**
 * The README's library example: a custom network from lib/nn, a custom source, a subscriber of
 * one's own. Run by the tests (test/pipelines/example.test.ts) so it stays true.
 */
import { lastValueFrom, tap } from 'rxjs'
import { Backend } from '../lib/backend'
import { arrayDataset, normalize } from '../lib/data'
import { batchNorm, conv2d, dense, globalAvgPool, named, serial } from '../lib/nn'
import { rmsproptf } from '../lib/optim'
import { stepDecay } from '../lib/schedule'
import { Tensor, keyFromSeed } from '../lib/tensor'
import { train } from '../lib/train'

export const customTraining = async (backend: Backend, epochs = 3) => {
  // a network: conv, batch norm with ReLU, pool, classifier
  const net = serial(named('conv', conv2d({ filters: 8, kernel: 3 })), named('bn', batchNorm({ relu: true })), globalAvgPool(), named('fc', dense(2)))
  // a source: bright (1) or dark (0) 8×8 images
  const source = arrayDataset('bright-or-dark', Array.from({ length: 64 }, (_, i) => ({ image: Tensor.fill([8, 8, 1], (i % 2) * 0.5 + 0.25), label: i % 2 })), 2)
  const key = keyFromSeed(0)
  const { params, state } = net.init(key, [8, 8, 8, 1])
  const optimizer = rmsproptf()
  const losses: number[] = []
  const events = train({
    net, optimizer, schedule: stepDecay(0.045, 0.94, 2 * 8), classes: 2, smoothing: 0, backend, epochs,
    dataset: source, plan: { batchSize: 8, key, shuffle: true, prepare: normalize(0.5, 0.5) },
    initial: { params, state, opt: optimizer.init(params), step: 0, key },
  })
  // a subscriber: collects the per-epoch loss
  await lastValueFrom(events.pipe(tap(e => e.type === 'epoch' && losses.push(e.loss))))
  return losses
}
