import { Backend } from '../../lib/backend'
import { Dataset } from '../../lib/data'
import { rmsproptf } from '../../lib/optim'
import { constant } from '../../lib/schedule'
import { TrainState, trainStep } from '../../lib/train'
import { Layer, batchNorm, conv2d, dense, dropout, globalAvgPool, named, serial } from '../../lib/nn'
import { Tensor, keyFromSeed, uniform, foldIn } from '../../lib/tensor'

/** A small convolutional network with batch norm and dropout: every kind of state a step carries. */
export const tinyNet = (classes = 3): Layer =>
  serial(
    named('conv', conv2d({ filters: 4, kernel: 3, padding: 'same' })),
    named('bn', batchNorm({ relu: true, decay: 0.9 })),
    globalAvgPool(),
    dropout(0.8),
    named('fc', dense(classes)),
  )

/** n random 6×6 grey images with labels i mod classes; `reads` counts record() calls. */
export const tinyDataset = (n: number, classes = 3): Dataset & { reads: number } => {
  const key = keyFromSeed(99)
  const images = Array.from({ length: n }, (_, i) => uniform(foldIn(key, i), [6, 6, 1]))
  const d = {
    name: 'tiny', size: n, classes, reads: 0,
    label: (i: number) => i % classes,
    record(i: number) {
      d.reads++
      return { kind: 'example' as const, example: { image: images[i] as Tensor, label: i % classes } }
    },
  }
  return d
}

/** tinyNet's RMSpropTF training step on `be` over one batch of 4 images, and the state to start it from. */
export const tinyTraining = (be: Backend) => {
  const net = tinyNet(3)
  const x = uniform(keyFromSeed(5), [4, 6, 6, 1])
  const { params, state } = net.init(keyFromSeed(1), x.shape)
  const optimizer = rmsproptf({ weightDecay: 4e-5 })
  const step = trainStep({ net, optimizer, schedule: constant(0.045), classes: 3, smoothing: 0.1, backend: be })
  const batch = { x, labels: [0, 1, 2, 0], indices: [0, 1, 2, 3], valid: 4 }
  const st0: TrainState = { params, state, opt: optimizer.init(params), step: 0, key: keyFromSeed(2) }
  return { x, params, step, batch, st0 }
}
