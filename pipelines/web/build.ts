import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'fs'
import * as path from 'path'
import { PNG } from 'pngjs'
import { mnistAll } from '../../lib/data/mnist'
import { packDigits } from '../../lib/data/digits-pack'
import { digitSplit } from '../../lib/data/digits-pack'

/**
 * dist/web: beside the compiled code when this runs compiled (dist/pipelines/web/build.js, an
 * installed package), under the checkout's dist/ when it runs from source through tsx.
 */
export const WEB_DIR = __filename.endsWith('.js') ? path.join(__dirname, '..', '..', 'web') : path.join(__dirname, '..', '..', 'dist', 'web')

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundler = () => require('../../bin/browser-bundle.cjs') as { bundleForBrowser(o: { entry: string; outfile: string; format?: 'esm' | 'iife'; minify?: boolean }): Promise<{ outputs: Record<string, { bytes: number }> }> }

/**
 * Builds the browser files into `out` (default dist/web): the page (index.html, app.js), its
 * training worker (trainer.js), the library's browser entry as one ES module (rxception.mjs, the
 * package's `rxception/browser`), the digits pack (digits.bin), ImageNet's class names and an
 * example digit (example-digit.png, the first held-out digit, a PNG the page decodes like any
 * dropped image). Bundling is bin/browser-bundle.cjs (esbuild, a development dependency: an
 * installed package ships the built files).
 *
 * @example
 * const { files, bytes } = await buildWeb('dist/web')
 */
export const buildWeb = async (out: string = WEB_DIR, log: (s: string) => void = () => undefined): Promise<{ files: Record<string, number> }> => {
  mkdirSync(out, { recursive: true })
  const { bundleForBrowser } = bundler()
  const files: Record<string, number> = {}
  const bundle = async (entry: string, name: string, format: 'esm' | 'iife') => {
    const meta = await bundleForBrowser({ entry, outfile: path.join(out, name), format })
    files[name] = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0)
  }
  await bundle('pipelines/web/app.ts', 'app.js', 'iife')
  await bundle('pipelines/web/trainer.ts', 'trainer.js', 'iife')
  await bundle('lib/browser.ts', 'rxception.mjs', 'esm')
  const write = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(path.join(out, name), bytes)
    files[name] = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength
  }
  copyFileSync(path.join(__dirname, 'index.html'), path.join(out, 'index.html'))
  files['index.html'] = 0
  const classes = path.join(__dirname, '..', '..', 'data', 'imagenet-classes.json')
  if (!existsSync(classes)) throw new Error(`web: ${classes} is missing (the checkout's data/)`)
  copyFileSync(classes, path.join(out, 'imagenet-classes.json'))
  const all = mnistAll()
  write('digits.bin', packDigits(all))
  write('example-digit.png', digitPng(digitSplit(all).heldOut, 0))
  log(`web: built ${out} (${Object.entries(files).filter(([, b]) => b).map(([f, b]) => `${f} ${(b / 2 ** 20).toFixed(2)} MB`).join(', ')})`)
  return { files }
}

/** A digit of a dataset as an RGB PNG (grey in all three channels), as a user would have it on disk. */
export const digitPng = (d: ReturnType<typeof digitSplit>['heldOut'], index: number): Buffer => {
  const r = d.record(index)
  if (r.kind !== 'example') throw new Error('digitPng: an in-memory digit expected')
  const [h, w] = r.example.image.shape as [number, number]
  const png = new PNG({ width: w, height: h, colorType: 2 })
  for (let p = 0; p < h * w; p++) {
    const v = Math.round(r.example.image.data[p]! * 255)
    png.data.set([v, v, v, 255], 4 * p)
  }
  return PNG.sync.write(png, { colorType: 2 })
}

// `npm run build:browser` (and `npm run build`): the page and the bundle into dist/web
if (require.main === module) {
  buildWeb(WEB_DIR, s => console.log(`rxception: ${s}`)).catch(e => {
    console.error(`rxception: ${(e as Error).message}`)
    process.exit(1)
  })
}
