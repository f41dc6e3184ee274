import test from 'ava'
import { RgbImage } from '../../lib/data/image'
import { centerCrop, preprocess, resizeBicubic } from '../../lib/data/preprocess'
import { PRETRAINED_PREPROCESS } from '../../modules'

const image = (width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage => {
  const rgb = new Float32Array(width * height * 3)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = f(x, y, c)
  return { width, height, rgb }
}

test('bicubic resizing keeps a constant image constant and a linear ramp linear inside', t => {
  const flat = resizeBicubic(image(40, 30, () => 100), 17, 13)
  t.true(flat.rgb.every(v => Math.abs(v - 100) < 1e-3))
  const ramp = resizeBicubic(image(64, 8, x => 2 * x + 10), 32, 8)
  // shrinking by 2: output pixel x covers input pixels 2x and 2x+1, whose mean is 4x + 11
  for (let x = 4; x < 28; x++) t.true(Math.abs(ramp.rgb[(3 * 32 + x) * 3]! - (4 * x + 11)) < 1e-2, `x=${x}: ${ramp.rgb[(3 * 32 + x) * 3]}`)
})

test('centre crop takes the middle (offsets rounded half to even, as torchvision) and refuses images that are too small', t => {
  const img = image(5, 4, (x, y) => 10 * y + x)
  // offsets round((5 - 2) / 2) = 2 and round((4 - 2) / 2) = 1
  t.deepEqual(Array.from(centerCrop(img, 2).rgb.filter((_, i) => i % 3 === 0)), [12, 13, 22, 23])
  // round(0.5) = 0, not 1
  t.deepEqual(Array.from(centerCrop(image(3, 3, (x, y) => 10 * y + x), 2).rgb.filter((_, i) => i % 3 === 0)), [0, 1, 10, 11])
  t.throws(() => centerCrop(img, 6), { message: /5×4 is smaller than 6×6/ })
})

test("timm's evaluation transform: shorter side to floor(299 / crop), centre 299, pixels to [-1, 1]", t => {
  const x = preprocess(image(400, 600, (_x, _y, c) => [0, 255, 127.5][c]!), PRETRAINED_PREPROCESS['inception-v4'])
  t.deepEqual(x.shape, [1, 299, 299, 3])
  t.true(Math.abs(x.data[0]! + 1) < 1e-4 && Math.abs(x.data[1]! - 1) < 1e-4 && Math.abs(x.data[2]!) < 1e-4)
  t.is(Math.floor(299 / 0.875), 341)
  t.is(Math.floor(299 / 0.897), 333)
})

test('an image already at the input size is used as it is', t => {
  const img = image(299, 299, (x, y, c) => (x * 7 + y * 3 + c) % 256)
  const x = preprocess(img, PRETRAINED_PREPROCESS['inception-resnet-v2'])
  t.true(x.data.every((v, i) => Math.abs(v - (img.rgb[i]! / 255 - 0.5) / 0.5) < 1e-6))
})
