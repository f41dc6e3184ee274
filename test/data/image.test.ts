import test from 'ava'
import * as fc from 'fast-check'
import { promises as fs } from 'fs'
import * as os from 'os'
import * as path from 'path'
import * as jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { readImage } from '../../lib/data'
import { MAX_PIXELS } from '../../lib/data/image'

const dir = fs.mkdtemp(path.join(os.tmpdir(), 'rxc-img-'))
const write = async (name: string, bytes: Buffer) => {
  const file = path.join(await dir, name)
  await fs.writeFile(file, bytes)
  return file
}
const png = (w: number, h: number) => {
  const p = new PNG({ width: w, height: h })
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37) % 256
  return PNG.sync.write(p)
}
/** A valid PNG whose IHDR is rewritten to declare w × h (CRC left stale: our checks come first). */
const declaring = (bytes: Buffer, w: number, h: number) => {
  const b = Buffer.from(bytes)
  b.writeUInt32BE(w, 16)
  b.writeUInt32BE(h, 20)
  return b
}

test('an image declaring 20000×20000 in a tiny file is refused from its header, before decoding', async t => {
  const file = await write('bomb.png', declaring(png(1, 1), 20000, 20000))
  const before = process.memoryUsage().rss
  await t.throwsAsync(readImage(file), { message: `${file}: declares 20000×20000 pixels, over the 25000000-pixel limit` })
  t.true(process.memoryUsage().rss - before < 200 * 2 ** 20)
})

test('short or truncated image data is an error naming the file, never zero-filled pixels', async t => {
  const short = await write('short.png', declaring(png(400, 2), 400, 4000))
  await t.throwsAsync(readImage(short), { message: new RegExp(`^${short}: PNG image data is short: \\d+ of the \\d+ bytes its 400×4000 size needs$`) })
  const whole = png(20, 20)
  const cut = await write('cut.png', whole.subarray(0, whole.length - 30))
  await t.throwsAsync(readImage(cut), { message: new RegExp(`^${cut}: truncated PNG`) })
  const j = Buffer.from(jpeg.encode({ width: 16, height: 16, data: Buffer.alloc(16 * 16 * 4, 128) }, 90).data)
  const cutJpeg = await write('cut.jpg', j.subarray(0, j.length - 40))
  await t.throwsAsync(readImage(cutJpeg), { message: new RegExp(`^${cutJpeg}: truncated JPEG`) })
  const ok = await readImage(await write('ok.jpg', j))
  t.is(ok.width, 16)
})

test('only regular files, under the size limit: /dev/zero and directories are refused at once', async t => {
  await t.throwsAsync(readImage('/dev/zero'), { message: '/dev/zero: not a regular file' })
  await t.throwsAsync(readImage(os.tmpdir()), { message: `${os.tmpdir()}: not a regular file` })
  await t.throwsAsync(readImage(path.join(os.tmpdir(), 'nope.png')), { message: /no such file/ })
  const text = await write('x.png', Buffer.from('hello'))
  await t.throwsAsync(readImage(text), { message: `${text}: not a JPEG, PNG or WebP file` })
})

test('mutated PNG and JPEG files: always an image of the declared size or an error naming the file', async t => {
  const bases = [await write('base.png', png(12, 9)), await write('base.jpg', Buffer.from(jpeg.encode({ width: 12, height: 9, data: Buffer.alloc(12 * 9 * 4, 90) }, 80).data))]
  const originals = await Promise.all(bases.map(b => fs.readFile(b)))
  let n = 0
  await t.notThrowsAsync(fc.assert(
    fc.asyncProperty(fc.nat(1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat()), async (which, flips, cut) => {
      let b = Buffer.from(originals[which]!)
      for (const [at, v] of flips) b[at % b.length] = v
      if (cut !== null) b = b.subarray(0, cut % b.length)
      const file = await write(`m${n++}.${which ? 'jpg' : 'png'}`, b)
      try {
        const img = await readImage(file)
        // the decoded pixels are the declared ones: a mutated size field cannot make it allocate more
        return img.rgb.length === img.width * img.height * 3 && img.width * img.height <= MAX_PIXELS
      } catch (e) {
        return (e as Error).message.startsWith(`${file}: `) && !(e as Error).message.includes('\n')
      }
    }),
    { numRuns: 300, seed: 7 },
  ))
})
