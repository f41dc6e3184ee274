import test from 'ava'
import { spawnSync } from 'child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { ImageTransform, decoderName, geometry, randomResizedRegion, readImage, resample, cropRgb } from '../../lib/data'
import { foldIn, keyFromSeed } from '../../lib/tensor'
import { photoLike } from '../helpers/images'

/**
 * The one image path against torchvision with PIL (Debian's python3-torchvision, which .ci/run
 * installs) on the same files: timm's evaluation transform and RandomResizedCrop's resized crop.
 */
const PYTHON = '/usr/bin/python3'
const SCRIPT = path.join(__dirname, '..', 'fixtures', 'torchvision_views.py')

type Case = { file: string; kind: 'eval'; size: number; crop_pct: number; interpolation: 'bilinear' | 'bicubic' }
  | { file: string; kind: 'resized_crop'; top: number; left: number; height: number; width: number; size: number; interpolation: 'bilinear' | 'bicubic' }
  | { file: string; kind: 'decode' }

const torchvision = (cases: readonly Case[]): Buffer => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-tv-'))
  writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases))
  const r = spawnSync(PYTHON, [SCRIPT, path.join(dir, 'cases.json'), path.join(dir, 'out.bin')], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`torchvision reference failed (apt-get install python3-torchvision): ${r.stderr || r.error?.message}`)
  return readFileSync(path.join(dir, 'out.bin'))
}

const files = async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-img-'))
  const out: Record<string, string> = {}
  for (const [name, w, h, format] of [['wide.png', 500, 375, 'png'], ['tall.png', 333, 500, 'png'], ['small.png', 120, 97, 'png'], ['photo.jpg', 500, 375, 'jpeg']] as const) {
    out[name] = path.join(dir, name)
    writeFileSync(out[name]!, await photoLike(w, h, w + h, format))
  }
  return out
}

const maxDiff = (a: Uint8Array, b: Uint8Array): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

test("timm's evaluation transform and RandomResizedCrop's resized crop give torchvision's bytes (PNG: exactly)", async t => {
  const f = await files()
  const cases: Case[] = []
  const ours: Uint8Array[] = []
  for (const name of ['wide.png', 'tall.png', 'small.png']) {
    const img = await readImage(f[name]!)
    for (const interpolation of ['bilinear', 'bicubic'] as const) {
      for (const [size, cropPct] of [[299, 0.875], [299, 0.897], [75, 0.875], [107, 1]] as const) {
        cases.push({ file: f[name]!, kind: 'eval', size, crop_pct: cropPct, interpolation })
        const tr: ImageTransform = { size, channels: 3, interpolation, crop: { kind: 'centre', cropPct }, hflip: 0, mean: [0], std: [1] }
        ours.push(geometry(img, tr, [0, 0]).rgb)
      }
      for (let k = 0; k < 4; k++) {
        const r = randomResizedRegion(foldIn(keyFromSeed(7), k), img.height, img.width, [0.08, 1], [3 / 4, 4 / 3])
        cases.push({ file: f[name]!, kind: 'resized_crop', ...r, size: 75, interpolation })
        ours.push(resample(cropRgb(img, r.top, r.left, r.height, r.width), 75, 75, interpolation).rgb)
      }
    }
  }
  const theirs = torchvision(cases)
  let at = 0
  cases.forEach((c, i) => {
    const n = ours[i]!.length
    t.is(maxDiff(ours[i]!, theirs.subarray(at, at + n)), 0, JSON.stringify({ ...c, file: path.basename(c.file) }))
    at += n
  })
  t.is(at, theirs.length, 'every byte compared')
})

test('a JPEG decodes to within a few levels of PIL (libjpeg IDCT differences), and its evaluation view with it', async t => {
  const f = await files()
  const img = await readImage(f['photo.jpg']!)
  const tr: ImageTransform = { size: 299, channels: 3, interpolation: 'bicubic', crop: { kind: 'centre', cropPct: 0.875 }, hflip: 0, mean: [0], std: [1] }
  const theirs = torchvision([{ file: f['photo.jpg']!, kind: 'decode' }, { file: f['photo.jpg']!, kind: 'eval', size: 299, crop_pct: 0.875, interpolation: 'bicubic' }])
  const decoded = theirs.subarray(0, img.rgb.length)
  const view = theirs.subarray(img.rgb.length)
  const mean = decoded.reduce((s, v, i) => s + Math.abs(v - img.rgb[i]!), 0) / decoded.length
  t.log(`decoder ${decoderName()}: max ${maxDiff(img.rgb, decoded)}, mean ${mean.toFixed(4)} levels from PIL`)
  t.true(maxDiff(img.rgb, decoded) <= 8, 'decode')
  t.true(mean < 0.5, 'decode, on average')
  t.true(maxDiff(geometry(img, tr, [0, 0]).rgb, view) <= 8, 'evaluation view')
})

test("RandomResizedCrop's regions stay inside the image, in the area and ratio ranges, and are a pure function of the key", t => {
  const [h, w] = [375, 500]
  const regions = Array.from({ length: 500 }, (_, i) => randomResizedRegion(foldIn(keyFromSeed(3), i), h, w, [0.08, 1], [3 / 4, 4 / 3]))
  for (const r of regions) {
    t.true(r.top >= 0 && r.left >= 0 && r.top + r.height <= h && r.left + r.width <= w)
    const area = (r.height * r.width) / (h * w)
    t.true(area >= 0.07 && area <= 1.01, `area ${area}`)
  }
  const spread = new Set(regions.map(r => `${r.height}x${r.width}`)).size
  t.true(spread > 400, `regions vary (${spread} distinct sizes)`)
  t.deepEqual(randomResizedRegion(foldIn(keyFromSeed(3), 9), h, w, [0.08, 1], [3 / 4, 4 / 3]), regions[9])
  t.deepEqual(randomResizedRegion([1, 2], 10, 1000, [0.9, 1], [3 / 4, 4 / 3]), { top: 0, left: 493, height: 10, width: 13 }, 'no try fits: the centre crop of the nearest allowed ratio')
})
