import { Tensor } from '../tensor'
import { RgbImage } from './image'

/**
 * Evaluation preprocessing as timm configures the released weights: resize the shorter side to
 * floor(size / cropFraction) with bicubic interpolation, centre-crop size × size, then map pixels to
 * [-1, 1] (mean 0.5, std 0.5). An image already size × size is used as it is.
 *
 * @example
 * const cfg: PreprocessConfig = { size: 299, cropFraction: 0.875, mean: 0.5, std: 0.5 }
 */
export interface PreprocessConfig {
  readonly size: number
  /** 0.875 for inception_v4.tf_in1k, 0.897 for inception_resnet_v2.tf_in1k (modules/pretrained.ts). */
  readonly cropFraction: number
  readonly mean: number
  readonly std: number
}


/** Keys' bicubic kernel with a = -0.5, as PIL uses. */
const cubic = (x: number): number => {
  const a = -0.5
  x = Math.abs(x)
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a
  return 0
}

/**
 * One axis of PIL-style resampling: when shrinking, the kernel widens by the scale factor, which
 * antialiases; weights are normalised per output sample.
 */
const axisWeights = (inSize: number, outSize: number) => {
  const scale = inSize / outSize
  const support = 2 * Math.max(scale, 1)
  return Array.from({ length: outSize }, (_, o) => {
    const center = (o + 0.5) * scale
    const lo = Math.max(0, Math.floor(center - support))
    const hi = Math.min(inSize, Math.ceil(center + support))
    const w: number[] = []
    for (let i = lo; i < hi; i++) w.push(cubic((i + 0.5 - center) / Math.max(scale, 1)))
    const total = w.reduce((a, b) => a + b, 0)
    return { lo, w: w.map(v => v / total) }
  })
}

/**
 * PIL-style bicubic resize (antialiased when shrinking) of an RGB image.
 *
 * @example
 * const small = resizeBicubic(img, 341, 455)
 */
export const resizeBicubic = (img: RgbImage, width: number, height: number): RgbImage => {
  const xs = axisWeights(img.width, width)
  const ys = axisWeights(img.height, height)
  const tmp = new Float32Array(img.height * width * 3)
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < width; x++) {
      const { lo, w } = xs[x]!
      for (let c = 0; c < 3; c++) {
        let s = 0
        for (let k = 0; k < w.length; k++) s += w[k]! * img.rgb[(y * img.width + lo + k) * 3 + c]!
        tmp[(y * width + x) * 3 + c] = s
      }
    }
  const out = new Float32Array(height * width * 3)
  for (let y = 0; y < height; y++) {
    const { lo, w } = ys[y]!
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0
        for (let k = 0; k < w.length; k++) s += w[k]! * tmp[((lo + k) * width + x) * 3 + c]!
        out[(y * width + x) * 3 + c] = Math.min(255, Math.max(0, s))
      }
  }
  return { width, height, rgb: out }
}

/** Python's round(): halves go to the even neighbour, as torchvision's CenterCrop computes its offset. */
const roundHalfEven = (v: number): number => {
  const f = Math.floor(v)
  return v - f !== 0.5 ? Math.round(v) : f % 2 === 0 ? f : f + 1
}

/**
 * The centre size × size square of an RGB image.
 *
 * @example
 * const square = centerCrop(img, 299)
 */
export const centerCrop = (img: RgbImage, size: number): RgbImage => {
  if (img.width < size || img.height < size) throw new Error(`centre crop: ${img.width}×${img.height} is smaller than ${size}×${size}`)
  const x0 = roundHalfEven((img.width - size) / 2)
  const y0 = roundHalfEven((img.height - size) / 2)
  const rgb = new Float32Array(size * size * 3)
  for (let y = 0; y < size; y++) rgb.set(img.rgb.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + size) * 3), y * size * 3)
  return { width: size, height: size, rgb }
}

/**
 * The model input [1, size, size, 3] for one image.
 *
 * @example
 * const x = preprocess(await readImage('cat.jpg'), PRETRAINED_PREPROCESS['inception-v4']) // [1, 299, 299, 3]
 */
export const preprocess = (img: RgbImage, cfg: PreprocessConfig): Tensor => {
  let im = img
  if (!(img.width === cfg.size && img.height === cfg.size)) {
    const shorter = Math.floor(cfg.size / cfg.cropFraction)
    const scale = shorter / Math.min(img.width, img.height)
    const [w, h] = img.width <= img.height ? [shorter, Math.round(img.height * scale)] : [Math.round(img.width * scale), shorter]
    im = centerCrop(resizeBicubic(img, w, h), cfg.size)
  }
  return Tensor.adopt([1, cfg.size, cfg.size, 3], im.rgb.map(v => (v / 255 - cfg.mean) / cfg.std))
}
