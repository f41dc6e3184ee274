import sharp from 'sharp'

/**
 * A w × h RGB image with structure at every scale (gradients, stripes and a keyed texture), as
 * PNG or JPEG bytes: resampling and cropping errors show in it, and JPEG compresses it like a photo.
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
