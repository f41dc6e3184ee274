import { RgbImage } from './rgb-image'
import { roundHalfEven, shorterSideTo } from './image-transform'
import { Interpolation, cropRgb, mirrorRgb, resample } from './resample'

/**
 * Evaluation views (spec §7.5). Every view is: resize the image so its shorter side is `side`
 * (aspect kept), take a square `region` of it, resize that region to the network's size S when it
 * is not S already, and mirror it or not.
 *
 *  - `centre` (1): side ⌊S / cropPct⌋, the centre S×S (timm's evaluation transform: the same
 *    geometry as lib/data/image-transform.ts's `centre`, offsets rounded half to even).
 *  - `10` (10): side ⌊S / cropPct⌋, the four corners and the centre, each also mirrored
 *    (Krizhevsky et al.; GoogLeNet's 10-crop).
 *  - `12` (12): the 10 views plus the whole centre square resized to S and its mirror. The paper
 *    defines no 12-crop; this is GoogLeNet's 6 views × 2 mirrors of its 144-crop at one scale and
 *    one square, the only published procedure it can be read from.
 *  - `144` (144): GoogLeNet's 4 scales × 3 squares (left/centre/right, or top/centre/bottom) × 6
 *    views (4 corners, centre, whole square) × 2 mirrors. GoogLeNet used shorter sides 256, 288, 320,
 *    352 for S = 224; for other S the same ratios: round(S · {256, 288, 320, 352} / 224), so 342,
 *    384, 427, 470 for 299 (the paper gives none).
 *
 * @example
 * CROP_MODES.includes(flag as CropMode)
 */
export const CROP_MODES = ['centre', '10', '12', '144'] as const
/**
 * centre | 10 | 12 | 144.
 *
 * @example
 * cropViews(h, w, 299, '144' satisfies CropMode, 0.875)
 */
export type CropMode = (typeof CROP_MODES)[number]

/**
 * One view: the resized size, a square region of it, and whether it is mirrored.
 *
 * @example
 * const v: View = { resized: [342, 456], region: { top: 21, left: 78, size: 299 }, mirror: false }
 */
export interface View {
  /** The resized image's [height, width]. */
  readonly resized: readonly [number, number]
  /** A square of the resized image: top, left, side. */
  readonly region: { readonly top: number; readonly left: number; readonly size: number }
  readonly mirror: boolean
}

/**
 * [height, width] with the shorter side `side`, aspect kept (torchvision's Resize: the longer side truncated).
 *
 * @example
 * shorterSide(400, 300, 341) // [454, 341]
 */
export const shorterSide = shorterSideTo

const GOOGLENET_SCALES = [256, 288, 320, 352]

/**
 * GoogLeNet's four shorter sides for its 224 input, scaled to `size`.
 *
 * @example
 * scalesFor(299) // [342, 384, 427, 470]
 */
export const scalesFor = (size: number): number[] => GOOGLENET_SCALES.map(s => Math.round((size * s) / 224))

/** The five S×S crops of a square (or rectangle) region: top-left, top-right, bottom-left, bottom-right, centre. */
const fiveCrops = (top: number, left: number, h: number, w: number, s: number) => [
  { top, left, size: s },
  { top, left: left + w - s, size: s },
  { top: top + h - s, left, size: s },
  { top: top + h - s, left: left + w - s, size: s },
  { top: top + roundHalfEven((h - s) / 2), left: left + roundHalfEven((w - s) / 2), size: s },
]

const mirrored = (views: View[]): View[] => views.flatMap(v => [v, { ...v, mirror: true }])

/**
 * The views of an h × w image for a network input of `size`.
 *
 * @example
 * cropViews(400, 300, 299, '144', 0.875).length === 144
 */
export const cropViews = (h: number, w: number, size: number, mode: CropMode, cropPct: number): View[] => {
  if (mode === '144') {
    return scalesFor(size).flatMap(side => {
      const resized = shorterSide(h, w, side)
      const [rh, rw] = resized
      const m = Math.min(rh, rw)
      const along = Math.max(rh, rw) - m
      const squares = [0, Math.floor(along / 2), along].map(o => (rh <= rw ? { top: 0, left: o } : { top: o, left: 0 }))
      return squares.flatMap(sq => mirrored([...fiveCrops(sq.top, sq.left, m, m, size), { ...sq, size: m }].map(region => ({ resized, region, mirror: false }))))
    })
  }
  const side = Math.max(size, Math.floor(size / cropPct))
  const resized = shorterSide(h, w, side)
  const [rh, rw] = resized
  const five = fiveCrops(0, 0, rh, rw, size)
  if (mode === 'centre') return [{ resized, region: five[4]!, mirror: false }]
  const ten = mirrored(five.map(region => ({ resized, region, mirror: false })))
  if (mode === '10') return ten
  const m = Math.min(rh, rw)
  return [...ten, ...mirrored([{ resized, region: { top: Math.floor((rh - m) / 2), left: Math.floor((rw - m) / 2), size: m }, mirror: false }])]
}

/**
 * Renders the views of an image (resizing once per scale), PIL's resampling as everywhere.
 *
 * @example
 * const images = renderViews(img, 299, cropViews(img.height, img.width, 299, '10', 0.875), 'bicubic')
 */
export const renderViews = (image: RgbImage, size: number, views: readonly View[], interpolation: Interpolation): RgbImage[] => {
  const cache = new Map<string, RgbImage>()
  return views.map(v => {
    const k = v.resized.join('x')
    let r = cache.get(k)
    if (!r) cache.set(k, (r = resample(image, v.resized[1], v.resized[0], interpolation)))
    const region = cropRgb(r, v.region.top, v.region.left, v.region.size, v.region.size)
    const out = v.region.size === size ? region : resample(region, size, size, interpolation)
    return v.mirror ? mirrorRgb(out) : out
  })
}
