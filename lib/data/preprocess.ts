import { Tensor } from '../tensor'
import { RgbImage } from './rgb-image'
import { ImageTransform, transformImage } from './image-transform'
import { Interpolation } from './resample'

/**
 * Evaluation preprocessing as timm configures the released weights (`pretrained_cfg`): shorter
 * side to ⌊size / cropPct⌋, centre crop size × size, (x − mean) / std: the `centre` transform of
 * lib/data/image-transform.ts, the same function `evaluate --crops centre` runs.
 *
 * @example
 * const cfg: PreprocessConfig = { size: 299, cropPct: 0.875, interpolation: 'bicubic', mean: 0.5, std: 0.5 }
 */
export interface PreprocessConfig {
  readonly size: number
  /** 0.875 for inception_v4.tf_in1k, 0.897 for inception_resnet_v2.tf_in1k (modules/pretrained.ts). */
  readonly cropPct: number
  readonly interpolation: Interpolation
  readonly mean: number
  readonly std: number
}

/**
 * The image transform a preprocessing config stands for, at `channels` channels.
 *
 * @example
 * evalTransformOf(PRETRAINED_PREPROCESS['inception-v4']).crop // { kind: 'centre', cropPct: 0.875 }
 */
export const evalTransformOf = (cfg: PreprocessConfig, channels: 1 | 3 = 3): ImageTransform => ({
  size: cfg.size, channels, interpolation: cfg.interpolation, crop: { kind: 'centre', cropPct: cfg.cropPct }, hflip: 0, mean: [cfg.mean], std: [cfg.std],
})

/**
 * The model input [1, size, size, channels] for one image.
 *
 * @example
 * const x = preprocess(await readImage('cat.jpg'), PRETRAINED_PREPROCESS['inception-v4']) // [1, 299, 299, 3]
 */
export const preprocess = (img: RgbImage, cfg: PreprocessConfig, channels: 1 | 3 = 3): Tensor => {
  const x = transformImage(img, evalTransformOf(cfg, channels), [0, 0])
  return Tensor.adopt([1, ...x.shape], x.data)
}
