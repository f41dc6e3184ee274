import { Dataset } from '../../lib/data'
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
