import { batchNorm, branches, conv2d, named, relu, residual, serial } from '../../lib/nn'

/** conv → bn → relu, named as timm's BasicConv2d. */
const basic = (name: string, filters: number, kernel: number | [number, number]) =>
  named(name, serial(named('conv', conv2d({ filters, kernel, padding: 'same' })), named('bn', batchNorm()), relu()))

/** A small Inception-ResNet-A-like block: branches, a linear 1×1 projection, a scaled residual sum. */
export const block = () =>
  residual(
    serial(
      branches(
        basic('branch0', 4, 1),
        named('branch1', serial(basic('0', 4, 1), basic('1', 4, [1, 3]), basic('2', 4, [3, 1]))),
        named('branch2', serial(basic('0', 4, 1), basic('1', 4, 3))),
      ),
      named('conv2d', conv2d({ filters: 8, kernel: 1, bias: true })),
    ),
    { scale: 0.17 },
  )

