import { existsSync, mkdirSync, writeFileSync } from 'fs'
import * as path from 'path'
import sharp from 'sharp'

/**
 * A w × h RGB image with structure at every scale (gradients, stripes and a keyed texture), as
 * PNG, JPEG or WebP bytes: resampling errors show in it, and JPEG compresses it like a photo
 * (56 KiB on average at 450-550 × 340-400, quality 90, as photoFolder writes them). The data benchmark's and the tests' images.
 *
 * @example
 * writeFileSync('x.jpg', await photoLike(500, 375, 1, 'jpeg'))
 */
export const photoLike = (w: number, h: number, seed: number, format: 'png' | 'jpeg' | 'webp', quality = 90): Promise<Buffer> => {
  const rgb = Buffer.alloc(w * h * 3)
  let s = seed >>> 0 || 1
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (s * 1664525 + 1013904223) >>> 0
      const noise = (s >>> 24) & 31
      const i = (y * w + x) * 3
      rgb[i] = (x * 255) / w + noise
      rgb[i + 1] = ((y * 255) / h + ((x >> 3) % 2) * 40) & 255
      rgb[i + 2] = (128 + 100 * Math.sin((x + y + seed) / 7)) | 0
    }
  }
  const img = sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
  return (format === 'png' ? img.png() : format === 'webp' ? img.webp({ quality }) : img.jpeg({ quality })).toBuffer()
}

/**
 * An ImageFolder of `n` JPEGs (about 500×375, sizes varying ±10%, quality 90) in `classes` class
 * folders; kept when it already holds them.
 *
 * @example
 * await photoFolder('/tmp/photos', 1000, 10)
 */
export const photoFolder = async (dir: string, n: number, classes = 10): Promise<string> => {
  for (let i = 0; i < n; i++) {
    const cls = path.join(dir, `class${String(i % classes).padStart(3, '0')}`)
    const file = path.join(cls, `${String(i).padStart(7, '0')}.jpg`)
    if (existsSync(file)) continue
    mkdirSync(cls, { recursive: true })
    writeFileSync(file, await photoLike(450 + (i % 11) * 10, 340 + (i % 7) * 10, i, 'jpeg'))
  }
  return dir
}
