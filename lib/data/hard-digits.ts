import { Key, Tensor, foldIn, keyFromSeed, normal, uniform } from '../tensor'
import { Dataset, exampleAt } from './example'
import { mnist } from './mnist'

/**
 * How hard-digits distorts a digit: the largest rotation (degrees), the scale range, the largest
 * shift (pixels), the shear, the noise's standard deviation, and the occluding bar's length range.
 *
 * @example
 * HARD_DIGITS.rotation // 40
 */
export const HARD_DIGITS = { rotation: 40, scale: [0.65, 1.1], shift: 4, shear: 0.3, noise: 0.3, bar: [10, 20] } as const

/**
 * One digit, distorted by the numbers `u` (uniform in [0, 1)) and the noise `z`: an affine warp
 * (rotation, anisotropic scale, shear, shift) sampled bilinearly, a bar of random grey across it,
 * additive Gaussian noise, clipped to [0, 1].
 */
const distort = (image: Tensor, u: Float32Array, z: Float32Array): Tensor => {
  const [h, w] = image.shape as [number, number, number]
  const d = HARD_DIGITS
  const angle = ((2 * u[0]! - 1) * d.rotation * Math.PI) / 180
  const sx = d.scale[0] + u[1]! * (d.scale[1] - d.scale[0])
  const sy = sx * (0.85 + 0.3 * u[2]!)
  const shear = (2 * u[3]! - 1) * d.shear
  const [tx, ty] = [(2 * u[4]! - 1) * d.shift, (2 * u[5]! - 1) * d.shift]
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)]
  // the inverse map, output pixel to source pixel, about the centre
  const [cx, cy] = [(w - 1) / 2, (h - 1) / 2]
  const src = image.data
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : src[y * w + x]!)
  const out = new Float32Array(h * w)
  // the bar: a segment of random angle, length and grey level, 2 pixels wide
  const barAngle = u[6]! * Math.PI
  const barLength = d.bar[0] + u[7]! * (d.bar[1] - d.bar[0])
  const [bx, by] = [cx + (2 * u[8]! - 1) * 7, cy + (2 * u[9]! - 1) * 7]
  const [barCos, barSin] = [Math.cos(barAngle), Math.sin(barAngle)]
  const grey = u[10]!
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [px, py] = [x - cx - tx, y - cy - ty]
      const rx = (cos * px + sin * py) / sx
      const ry = (-sin * px + cos * py) / sy
      const fx = rx - shear * ry + cx
      const fy = ry + cy
      const [x0, y0] = [Math.floor(fx), Math.floor(fy)]
      const [ax, ay] = [fx - x0, fy - y0]
      let v = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1))
      const [qx, qy] = [x - bx, y - by]
      const along = qx * barCos + qy * barSin
      const across = -qx * barSin + qy * barCos
      if (Math.abs(along) <= barLength / 2 && Math.abs(across) <= 1) v = grey
      out[y * w + x] = Math.min(1, Math.max(0, v + d.noise * z[y * w + x]!))
    }
  }
  return Tensor.adopt(image.shape, out)
}

/**
 * A dataset whose example i is example i of `base` distorted by draws from (key, i): the same
 * image every time it is read (so epochs, resumes and shards see the same data), computed when
 * read, nothing held besides `base`.
 *
 * @example
 * const hard = distorted(mnist().train, keyFromSeed(1), 'digits-hard (train)')
 */
export const distorted = (base: Dataset, key: Key, name: string): Dataset => ({
  name, size: base.size, classes: base.classes,
  label: i => base.label(i),
  record(i) {
    const e = exampleAt(base, i)
    const k = foldIn(key, i)
    return { kind: 'example', example: { image: distort(e.image, uniform(foldIn(k, 0), [11]).data, normal(foldIn(k, 1), [e.image.size]).data), label: e.label } }
  },
})

/**
 * The bundled digits made hard (`--data digits-hard`): every digit rotated up to ±40°, scaled
 * 0.65-1.1 (each axis), sheared, shifted up to 4 pixels, crossed by a grey bar and covered in
 * Gaussian noise (σ 0.3), each by its own keyed draw. The same 9,000 / 1,000 split as mnist; a
 * task hard enough to separate networks that all reach 98-99% on the plain digits.
 *
 * @example
 * const { train, heldOut } = hardDigits()
 */
export const hardDigits = (): { train: Dataset; heldOut: Dataset } => {
  const { train, heldOut } = mnist()
  const key = keyFromSeed(0x4a5d)
  return { train: distorted(train, foldIn(key, 0), 'digits-hard (train)'), heldOut: distorted(heldOut, foldIn(key, 1), 'digits-hard (held-out)') }
}
