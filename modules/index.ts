export * from './options'
export * from './basic-conv'
export * from './pools'
export * from './network-options'
export * from './stem-v4'
export * from './stem-resnet'
export * from './inception-a'
export * from './inception-b'
export * from './inception-c'
export * from './reduction-a'
export * from './reduction-b'
export * from './inception-resnet-blocks'
export * from './aux-head'
export * from './pretrained'
export * from './inception-v4'
export * from './inception-resnet-v1'
export * from './inception-resnet-v2'

import { inceptionResNetV1 } from './inception-resnet-v1'
import { inceptionResNetV2 } from './inception-resnet-v2'
import { inceptionV4 } from './inception-v4'

/**
 * The networks by their CLI names.
 *
 * @example
 * const net = NETWORKS['inception-resnet-v2']({ classes: 5 })
 */
export const NETWORKS = {
  'inception-v4': inceptionV4,
  'inception-resnet-v1': inceptionResNetV1,
  'inception-resnet-v2': inceptionResNetV2,
} as const
