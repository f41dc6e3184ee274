import test from 'ava'
import { RgbImage } from '../../lib/data/image'
import { centreOffset, evalSide } from '../../lib/data/image-transform'
import { preprocess } from '../../lib/data/preprocess'
import { resample } from '../../lib/data/resample'
import { PRETRAINED_PREPROCESS } from '../../modules'

const image = (width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage => {
  const rgb = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = f(x, y, c)
  return { width, height, rgb }
}

test('resampling keeps a constant image constant and a linear ramp linear inside, with both filters', t => {
  for (const filter of ['bilinear', 'bicubic'] as const) {
    t.true(resample(image(40, 30, () => 100), 17, 13, filter).rgb.every(v => v === 100), filter)
    const ramp = resample(image(64, 8, x => 2 * x + 10), 32, 8, filter)
    // shrinking by 2: output pixel x covers input pixels 2x and 2x+1, whose mean is 4x + 11
    for (let x = 4; x < 28; x++) t.true(Math.abs(ramp.rgb[(3 * 32 + x) * 3]! - (4 * x + 11)) <= 1, `${filter} x=${x}: ${ramp.rgb[(3 * 32 + x) * 3]}`)
  }
})

test("centre crop offsets round half to even (torchvision's CenterCrop); the shorter side is floor(S / crop_pct)", t => {
  t.deepEqual(centreOffset(4, 5, 2), { top: 1, left: 2 })
  t.deepEqual(centreOffset(3, 3, 2), { top: 0, left: 0 }, 'round(0.5) = 0, not 1')
  t.is(evalSide(299, 0.875), 341)
  t.is(evalSide(299, 0.897), 333)
})

test("timm's evaluation transform: [1, 299, 299, 3], pixels to [-1, 1], grey as luma at --in-chans 1", t => {
  const img = image(600, 400, (_x, _y, c) => [0, 255, 128][c]!)
  const x = preprocess(img, PRETRAINED_PREPROCESS['inception-v4'])
  t.deepEqual(x.shape, [1, 299, 299, 3])
  t.true(Math.abs(x.data[0]! + 1) < 1e-6 && Math.abs(x.data[1]! - 1) < 1e-6 && Math.abs(x.data[2]! - (128 / 255 - 0.5) / 0.5) < 1e-6)
  const grey = preprocess(img, PRETRAINED_PREPROCESS['inception-v4'], 1)
  t.deepEqual(grey.shape, [1, 299, 299, 1])
  t.true(Math.abs(grey.data[0]! - ((0.587 + (0.114 * 128) / 255 - 0.5) / 0.5)) < 1e-5)
})
