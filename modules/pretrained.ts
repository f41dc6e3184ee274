import { PreprocessConfig } from '../lib/data/preprocess'

/**
 * How timm's released weights expect images (their `pretrained_cfg`): shorter side resized to
 * floor(299 / cropPct) bicubically, centre crop 299, pixels to [-1, 1] (mean = std = 0.5).
 * IR-v1 has no ImageNet weights; it takes Inception-v4's transform.
 *
 * @example
 * preprocess(await readImage('cat.jpg'), PRETRAINED_PREPROCESS['inception-v4'])
 */
export const PRETRAINED_PREPROCESS: Record<'inception-v4' | 'inception-resnet-v1' | 'inception-resnet-v2', PreprocessConfig> = {
  'inception-v4': { size: 299, cropPct: 0.875, interpolation: 'bicubic', mean: 0.5, std: 0.5 },
  'inception-resnet-v1': { size: 299, cropPct: 0.875, interpolation: 'bicubic', mean: 0.5, std: 0.5 },
  'inception-resnet-v2': { size: 299, cropPct: 0.897, interpolation: 'bicubic', mean: 0.5, std: 0.5 },
}
