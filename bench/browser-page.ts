/**
 * The page's costs on webasm in headless Chromium: the built files' sizes; Inception-ResNet-v2
 * prediction at full size (299×299, as with timm's released weights): the time of the first
 * prediction after the weights file is chosen, the page's JavaScript heap and the Chromium
 * processes' resident memory; then the default model's training speed in the page's worker against
 * the same recipe's in Node, same machine, one run. The weights are the network's initialisation
 * written as timm-named safetensors (the released file's size and names; the arithmetic is the
 * same whatever the values).
 *
 *   npm run bench:browser     (node --import tsx bench/browser-page.ts)
 */
import { execFileSync } from 'child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { gzipSync } from 'zlib'
import { readFileSync } from 'fs'
import { encodeSafetensors } from '../lib/io/safetensors-bytes'
import { exportStateDict } from '../lib/io/state-dict'
import { keyFromSeed } from '../lib/tensor'
import { NETWORKS } from '../modules'
import { lastValueFrom, take, filter, toArray } from 'rxjs'
import { createBackend } from '../lib/backend'
import { mnist } from '../lib/data/mnist'
import { foldInName } from '../lib/tensor'
import { train } from '../lib/train/loop'
import { stepsPerEpoch } from '../lib/data/batches'
import { DEFAULT_CONFIG } from '../pipelines/config'
import { buildNetwork, inputShape, optimizerOf, preprocessing, scheduleOf } from '../pipelines/train-recipe'
import { serveDir } from '../pipelines/serve'
import { buildWeb } from '../pipelines/web/build'
import { CHROMIUM, launchChromium } from './chromium'

/** Resident MiB of every process whose command line names `binary` (the browser and its renderers, GPU and utility processes). */
const chromiumRssMiB = (binary: string): number => {
  const out = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8' })
  return Math.round(out.split('\n').filter(l => l.includes(binary)).reduce((n, l) => n + Number(l.trim().split(/\s+/)[0] ?? 0), 0) / 1024)
}

const main = async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rx-page-'))
  await buildWeb(dir)
  const sizes = readdirSync(dir).map(f => {
    const bytes = readFileSync(path.join(dir, f))
    return `${f} ${(statSync(path.join(dir, f)).size / 2 ** 20).toFixed(2)} MB (gzip ${(gzipSync(bytes).byteLength / 2 ** 20).toFixed(2)} MB)`
  })
  console.log(`files: ${sizes.join(', ')}`)
  const net = NETWORKS['inception-resnet-v2']({})
  const init = net.init(keyFromSeed(3), [1, 299, 299, 3])
  const weights = path.join(dir, 'inception_resnet_v2.safetensors')
  writeFileSync(weights, Buffer.concat(encodeSafetensors(exportStateDict(init.params, init.state), {}, weights)))
  console.log(`weights: ${(statSync(weights).size / 2 ** 20).toFixed(0)} MB`)
  const { server, url } = await serveDir(dir, 0)
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    await page.goto(url, { waitUntil: 'load' })
    await page.waitForSelector('#backend[data-ready]', { timeout: 120_000 })
    const heap = () => page.evaluate(() => Math.round((performance as any).memory.usedJSHeapSize / 2 ** 20)) as Promise<number>
    const before = { heap: await heap(), rss: chromiumRssMiB(path.basename(CHROMIUM)) }
    const chooser = await page.$('#weights')
    await (chooser as unknown as { uploadFile(f: string): Promise<void> }).uploadFile(weights)
    await page.select('#model', 'inception-resnet-v2')
    let peak = before.rss
    const sampler = setInterval(() => { peak = Math.max(peak, chromiumRssMiB(path.basename(CHROMIUM))) }, 250)
    const t0 = Date.now()
    try {
      await page.click('#example')
      await page.waitForFunction(() => document.getElementById('top5')!.dataset.logits, { timeout: 1_800_000, polling: 500 })
    } finally {
      clearInterval(sampler)
    }
    const seconds = (Date.now() - t0) / 1000
    const after = { heap: await heap(), rss: chromiumRssMiB(path.basename(CHROMIUM)) }
    console.log(`inception-resnet-v2 299×299 on webasm in Chromium: ${seconds.toFixed(1)} s for the first prediction (reading 223 MB of weights, compiling every kernel); ` +
      `JS heap ${before.heap} → ${after.heap} MiB; Chromium processes' RSS ${before.rss} MiB before, peak ${peak} MiB, ${after.rss} MiB after`)
    console.log(await page.$eval('#prediction-status', e => e.textContent))
    // training: STEPS steps of the default run in the page's worker, then the same in Node
    await page.click('#start')
    await page.waitForFunction(n => Number(document.getElementById('train')!.dataset.steps ?? 0) >= n, { timeout: 1_800_000, polling: 1000 }, STEPS)
    const pageRate = await page.evaluate(() => (window as any).__rxRates as number[] | undefined)
    await page.click('#stop')
    const inPage = median((pageRate ?? []).slice(5))
    const inNode = median((await nodeRates()).slice(5))
    console.log(`training the default model (batch 32) on webasm, median images/s of steps 6-${STEPS}: page worker ${inPage.toFixed(1)}, Node ${inNode.toFixed(1)} (page/Node ${(inPage / inNode).toFixed(2)}×)`)
  } finally {
    await browser.close()
    server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const STEPS = 30
const median = (v: readonly number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN

/** The default run's first STEPS steps in Node: each step's images/s. */
const nodeRates = async (): Promise<number[]> => {
  const c = DEFAULT_CONFIG
  const backend = await createBackend('webasm')
  try {
    const net = buildNetwork(c, 10)
    const optimizer = optimizerOf(c)
    const key = keyFromSeed(c.seed)
    const fresh = net.init(foldInName(key, 'init'), inputShape(c))
    const data = mnist().train
    const events = train({
      net, optimizer, schedule: scheduleOf(c, stepsPerEpoch(data, c.batchSize)), classes: 10, smoothing: c.smoothing, backend, dataset: data,
      plan: { ...preprocessing(c).train, batchSize: c.batchSize, key: foldInName(key, 'data'), shuffle: true }, epochs: 1,
      initial: { params: fresh.params, state: fresh.state, opt: optimizer.init(fresh.params), step: 0, key },
    })
    const steps = await lastValueFrom(events.pipe(filter(e => e.type === 'step'), take(STEPS), toArray()))
    return steps.map(e => (e.type === 'step' ? e.imagesPerSecond : NaN))
  } finally {
    await backend.destroy()
  }
}

main().then(() => process.exit(0), e => { console.error(`bench: ${(e as Error).message}`); process.exit(1) })
