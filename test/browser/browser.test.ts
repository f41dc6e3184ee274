import test from 'ava'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { createServer } from 'http'
import * as path from 'path'
import sirv from 'sirv'
import type { Browser, Page } from 'puppeteer-core'
import { createBackend } from '../../lib/backend'
import { decodeImage } from '../../lib/data/image'
import { encodeSafetensors } from '../../lib/io/safetensors-bytes'
import { exportStateDict } from '../../lib/io/state-dict'
import { foldInName, keyFromSeed } from '../../lib/tensor'
import { serveDir } from '../../pipelines/serve'
import { buildWeb } from '../../pipelines/web/build'
import { pageModel } from '../../pipelines/web/models'
import { launchChromium } from '../../bench/chromium'
import { agreement } from './agreement'

/**
 * The library in a real Chromium (headless, SwiftShader for its GPU APIs), served cross-origin
 * isolated by `rxception serve`'s server: the op table on webasm, webgl2 and webgpu (SwiftShader)
 * against float64 references; Inception-ResNet-v2's logits and three training steps bit for bit
 * Node's on webasm; the page lists the backends, predicts the bundled example digit with a weights
 * file exactly as Node does, trains in its worker, stops, resumes, and is screenshotted
 * (output/browser/page.png, for a person to look at).
 */
const dir = mkdtempSync(path.join(tmpdir(), 'rx-web-'))
let browser: Browser
let base: string
let close: () => void

test.before(async () => {
  await buildWeb(dir)
  const { bundleForBrowser } = require('../../bin/browser-bundle.cjs') as { bundleForBrowser(o: object): Promise<unknown> }
  await bundleForBrowser({ entry: 'test/browser/harness.ts', outfile: path.join(dir, 'harness.js'), format: 'iife' })
  writeFileSync(path.join(dir, 'harness.html'), '<!doctype html><meta charset="utf-8"><title>harness</title><script src="harness.js"></script>')
  const served = await serveDir(dir, 0)
  base = served.url
  close = () => served.server.close()
  browser = await launchChromium()
})

test.after.always(async () => {
  await browser?.close()
  close?.()
  rmSync(dir, { recursive: true, force: true })
})

const open = async (file: string): Promise<Page> => {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', e => errors.push((e as Error).message))
  await page.goto(base + file, { waitUntil: 'load' })
  ;(page as Page & { errors: string[] }).errors = errors
  return page
}

type Run = { mode: string; device: string; threads: number; isolated: boolean; capabilities: { tileGroups: number; directStores: boolean; fusedMultiplyAdd: boolean }; ops?: { name: string; error: number }[]; agreement?: Awaited<ReturnType<typeof agreement>> }
const run = (page: Page, mode: string, what: string[]) => page.evaluate((m, w) => (globalThis as any).rxTest.run(m, w), mode, what) as Promise<Run>

test.serial('webasm in Chromium: the op table within 1e-4 of float64, threads in the isolated page, and IR-v2 logits and training steps bit for bit Node\'s', async t => {
  const page = await open('harness.html')
  const inBrowser = await run(page, 'webasm', ['ops', 'agreement'])
  t.true(inBrowser.isolated, 'the server\'s headers make the page cross-origin isolated')
  t.regex(inBrowser.device, /worker threads/)
  t.true(inBrowser.threads >= 1)
  t.deepEqual(inBrowser.capabilities, { tileGroups: 3, directStores: true, fusedMultiplyAdd: true }, 'the bundle runs the patched gpu.js, with relaxed SIMD')
  const far = inBrowser.ops!.filter(o => !(o.error <= 1e-4)).map(o => `${o.name}: ${o.error}`)
  t.deepEqual(far, [], 'ops past 1e-4 in Chromium')
  t.true(inBrowser.ops!.length >= 30, `${inBrowser.ops!.length} ops`)
  const backend = await createBackend('webasm')
  try {
    const node = await agreement(backend)
    t.is(inBrowser.agreement!.logits, node.logits, 'inference logits, bit for bit')
    t.deepEqual(inBrowser.agreement!.losses, node.losses, 'the three steps\' losses')
    const differ = Object.keys(node.params).filter(k => inBrowser.agreement!.params[k] !== node.params[k])
    t.deepEqual(differ, [], 'parameters after three steps that differ from Node\'s')
    t.is(Object.keys(inBrowser.agreement!.params).length, Object.keys(node.params).length)
  } finally {
    await backend.destroy()
  }
  await page.close()
})

test.serial('a page served without the isolation headers runs webasm on one thread and says so', async t => {
  const plain = createServer(sirv(dir, { dev: true }))
  await new Promise<void>(r => plain.listen(0, '127.0.0.1', r))
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(plain.address() as { port: number }).port}/harness.html`, { waitUntil: 'load' })
    const r = await run(page, 'webasm', [])
    t.false(r.isolated)
    t.is(r.threads, 1)
    t.regex(r.device, /one thread: the page is not cross-origin isolated/)
    await page.close()
  } finally {
    plain.close()
  }
})

for (const mode of ['webgl2', 'webgpu'] as const) {
  test.serial(`${mode} in Chromium (SwiftShader): the op table within 1e-4 of float64, and the probe calls it software`, async t => {
    const page = await open('harness.html')
    const r = await run(page, mode, ['ops'])
    t.is(r.mode, mode)
    t.regex(r.device, /SwiftShader/i)
    const far = r.ops!.filter(o => !(o.error <= 1e-4)).map(o => `${o.name}: ${o.error}`)
    t.deepEqual(far, [], `ops past 1e-4 on ${mode}`)
    await page.close()
  })
}

test.serial('the page lists the backends, predicts the example digit with a weights file as Node does, trains in its worker, stops and resumes', async t => {
  // weights a user would bring: the digits model at a seed, as model.safetensors
  const { net, shape, input } = pageModel('digits')
  const init = net.init(foldInName(keyFromSeed(5), 'init'), shape)
  const weights = path.join(dir, 'model.safetensors')
  writeFileSync(weights, Buffer.concat(encodeSafetensors(exportStateDict(init.params, init.state), {}, weights)))
  const page = await open('index.html')
  await page.setViewport({ width: 1050, height: 1000 })
  await page.waitForSelector('#backend[data-ready]', { timeout: 120_000 })
  const options = await page.$$eval('#backend option', os => os.map(o => ({ value: (o as HTMLOptionElement).value, text: o.textContent!, selected: (o as HTMLOptionElement).selected })))
  t.deepEqual(options.find(o => o.selected)?.value, 'webasm', 'auto keeps webasm over SwiftShader')
  t.regex(options.find(o => o.value === 'webgl2')!.text, /software/)
  t.regex(await page.$eval('#isolation', e => e.textContent!), /cross-origin isolated: webasm runs \d+ worker threads/)

  const chooser = await page.$('#weights')
  await (chooser as unknown as { uploadFile(f: string): Promise<void> }).uploadFile(weights)
  await page.select('#model', 'digits')
  await page.click('#example')
  await page.waitForFunction(() => document.getElementById('top5')!.dataset.logits, { timeout: 300_000 })
  const logits = JSON.parse(await page.$eval('#top5', e => (e as HTMLElement).dataset.logits!)) as number[]
  const be = await createBackend('webasm')
  try {
    const img = await decodeImage(await (await fetch(base + 'example-digit.png')).arrayBuffer().then(b => Buffer.from(b)), 'example-digit.png')
    const { y } = await net.apply(init.params, init.state, input(img), { training: false, key: keyFromSeed(0), backend: be })()
    t.deepEqual(logits, Array.from(y.data), 'the page\'s logits are Node\'s, bit for bit')
  } finally {
    await be.destroy()
  }

  const steps = () => page.$eval('#train', e => Number((e as HTMLElement).dataset.steps ?? 0))
  await page.click('#start')
  await page.waitForFunction(() => Number(document.getElementById('train')!.dataset.steps ?? 0) >= 3, { timeout: 600_000 })
  await page.click('#stop')
  await page.waitForFunction(() => document.getElementById('train')!.dataset.ended, { timeout: 600_000 })
  const stoppedAt = Number((await page.$eval('#train', e => (e as HTMLElement).dataset.ended!)).split(':')[1])
  t.true(stoppedAt >= 3, `stopped at step ${stoppedAt}`)
  await page.click('#resume')
  await page.waitForFunction(n => Number(document.getElementById('train')!.dataset.steps ?? 0) >= n + 2, { timeout: 600_000 }, await steps())
  t.regex(await page.$eval('#train-status', e => e.textContent!), /^step \d+, epoch 1: loss [\d.]+/)
  const status = await page.$eval('#train-status', e => e.textContent!)
  t.true(Number(/^step (\d+)/.exec(status)![1]) > stoppedAt, `resumed past step ${stoppedAt}: ${status}`)
  await page.click('#stop')
  await page.waitForFunction(() => /trained here/.test(document.getElementById('weights-status')!.textContent!), { timeout: 600_000 })
  t.true(await page.$eval('#loss-chart', e => e.querySelectorAll('path, polyline, circle').length > 0), 'the loss curve is drawn')
  const shot = path.join('output', 'browser', 'page.png')
  mkdirSync(path.dirname(shot), { recursive: true })
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true })
  t.log(`screenshot: ${shot}`)
  t.deepEqual((page as Page & { errors: string[] }).errors, [], 'no uncaught errors in the page')
  await page.close()
})
