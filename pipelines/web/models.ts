import { preprocess } from '../../lib/data/preprocess'
import { imageTensor, RgbImage } from '../../lib/data/rgb-image'
import { Layer } from '../../lib/nn'
import { keyFromSeed, Tensor } from '../../lib/tensor'
import { NETWORKS, PRETRAINED_PREPROCESS } from '../../modules'
import { DEFAULT_CONFIG } from '../config'
import { buildNetwork, preprocessing } from '../train-recipe'

/** The networks the page predicts with: the digits model it trains, or a released network. */
export type PageModel = 'digits' | keyof typeof PRETRAINED_PREPROCESS

/**
 * A page model's network, input shape and image preparation: the digits model as `rxception
 * train`'s default evaluates (grey, 28×28, (x − 0.5) / 0.5), the released networks with timm's
 * preprocessing (modules/pretrained.ts). Pure, so the browser test computes Node's answer with it.
 *
 * @example
 * const { net, shape, input } = pageModel('digits')
 * const { y } = await net.apply(params, state, input(img), ctx)()
 */
export const pageModel = (model: PageModel): { net: Layer; shape: number[]; input: (img: RgbImage) => Tensor } => {
  if (model === 'digits') {
    const c = DEFAULT_CONFIG
    const prepare = preprocessing(c).eval.prepare
    return {
      net: buildNetwork(c, 10),
      shape: [1, c.imgSize, c.imgSize, c.inChans],
      input: img => {
        const x = prepare({ image: imageTensor(img), label: 0 }, keyFromSeed(0)).image
        return Tensor.adopt([1, ...x.shape], x.data)
      },
    }
  }
  const cfg = PRETRAINED_PREPROCESS[model]
  return { net: NETWORKS[model]({}), shape: [1, cfg.size, cfg.size, 3], input: img => preprocess(img, cfg) }
}
