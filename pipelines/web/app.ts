import { isLeft } from 'fp-ts/Either'
import { availability, Backend, ConcreteMode, createBackend, Mode, pickAuto } from '../../lib/backend'
import { crossOriginIsolated } from '../../lib/backend/probe.browser'
import { imageFromBlob } from '../../lib/data/image-browser'
import { blobSource, bytesSource, readSafetensorsFrom } from '../../lib/io/safetensors-bytes'
import { importStateDict } from '../../lib/io/state-dict'
import { keyFromSeed } from '../../lib/tensor'
import { lineChart, Series } from '../../lib/train/charts'
import { topClasses } from '../../lib/train/classify'
import { residentMiB } from '../../lib/platform'
import { FromTrainer, ToTrainer } from './protocol'
import { PageModel, pageModel } from './models'

/**
 * The page (pipelines/web/index.html): a backend chooser showing what each backend runs on;
 * prediction of a dropped image by a chosen network and weights file (timm's released
 * safetensors, a run's model.safetensors, or the digits model trained on this page); training of
 * `rxception train`'s default model on the MNIST digits in a Web Worker with live curves, stop and
 * resume. Every number it shows comes from the library running here.
 */
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const show = (id: string, text: string) => { $(id).textContent = text }

// ---- backends ----
const backendSelect = $<HTMLSelectElement>('backend')
const chosenMode = (): Mode => (backendSelect.dataset.ready ? (backendSelect.value as Mode) : 'auto')

const listBackends = async () => {
  const found = await availability()
  const auto = pickAuto(found)
  backendSelect.innerHTML = ''
  for (const a of found) {
    const o = document.createElement('option')
    o.value = a.mode
    o.disabled = !a.probe.available
    o.textContent = a.probe.available ? `${a.mode}: ${a.probe.device}${a.probe.software ? ' (software: slower than webasm)' : ''}` : `${a.mode}: unavailable (${a.probe.reason ?? ''})`
    o.selected = a.mode === auto.mode
    backendSelect.append(o)
  }
  backendSelect.dataset.ready = 'true'
  show('auto', `auto picks ${auto.mode}${auto.probe.software ? '' : ''}: ${auto.probe.device}`)
  show('isolation', crossOriginIsolated()
    ? `This page is cross-origin isolated: webasm runs ${navigator.hardwareConcurrency} worker threads.`
    : 'This page is not cross-origin isolated (no COOP/COEP headers): webasm runs on one thread. `rxception serve` sets the headers.')
}

let predictBackend: Backend | undefined
const backendNow = async (): Promise<Backend> => {
  const mode = chosenMode()
  if (predictBackend && predictBackend.mode === (mode as ConcreteMode)) return predictBackend
  await predictBackend?.destroy()
  predictBackend = await createBackend(mode)
  return predictBackend
}

// ---- prediction ----
const modelSelect = $<HTMLSelectElement>('model')
let trainedWeights: Uint8Array | undefined
let imagenet: Promise<string[]> | undefined
const classNames = () =>
  (imagenet ??= fetch('imagenet-classes.json').then(r => {
    if (!r.ok) throw new Error(`imagenet-classes.json: HTTP ${r.status}`)
    return r.json() as Promise<string[]>
  }).catch(e => {
    imagenet = undefined // a later prediction asks again
    throw e
  }))

let predicting = false
let previewUrl: string | undefined

/** One prediction at a time (the backend is not changed under a running one, two networks do not share the memory). */
const predictImage = async (image: Blob, name: string) => {
  if (predicting) return show('prediction-status', 'a prediction is running: wait for it')
  predicting = true
  try {
    await predictOnce(image, name)
  } finally {
    predicting = false
  }
}

const predictOnce = async (image: Blob, name: string) => {
  const model = modelSelect.value as PageModel
  const file = $<HTMLInputElement>('weights').files?.[0]
  const weightsName = file?.name ?? 'the digits model trained on this page'
  if (!file && !(model === 'digits' && trainedWeights)) throw new Error(model === 'digits' ? 'choose a weights file, or train the digits model first' : `choose ${model}'s weights (timm's safetensors)`)
  show('prediction-status', `predicting ${name} with ${model} (${weightsName})…`)
  const t0 = performance.now()
  const { net, shape, input } = pageModel(model)
  const read = await readSafetensorsFrom(file ? blobSource(file) : bytesSource(trainedWeights!), weightsName)
  const loaded = importStateDict(net.spec(shape), read.tensors, weightsName)
  if (isLeft(loaded)) throw loaded.left
  const img = await imageFromBlob(image, name)
  const { y } = await net.apply(loaded.right.params, loaded.right.state, input(img), { training: false, key: keyFromSeed(0), backend: await backendNow() })()
  const names = model === 'digits' ? Array.from({ length: 10 }, (_, i) => `digit ${i}`) : await classNames()
  const top = topClasses(y.data, 5, names)
  const table = $('top5')
  table.innerHTML = top.map(t => `<tr><td>${(100 * t.probability).toFixed(2)}%</td><td>${t.index}</td><td>${t.class}</td></tr>`).join('')
  table.dataset.top = JSON.stringify(top.map(t => t.index))
  table.dataset.logits = JSON.stringify(Array.from(y.data))
  if (previewUrl) URL.revokeObjectURL(previewUrl)
  $<HTMLImageElement>('preview').src = previewUrl = URL.createObjectURL(image)
  show('prediction-status', `${name}: ${img.width}×${img.height}, ${model} on ${predictBackend!.mode}, ${(performance.now() - t0).toFixed(0)} ms; JS heap ${residentMiB()} MiB`)
}

const guard = (id: string, f: () => Promise<void>) => () => f().catch(e => show(id, `error: ${(e as Error).message}`))
$<HTMLInputElement>('image').onchange = guard('prediction-status', async () => {
  const f = $<HTMLInputElement>('image').files?.[0]
  if (f) await predictImage(f, f.name)
})
const drop = $('drop')
drop.ondragover = e => e.preventDefault()
drop.ondrop = e => {
  e.preventDefault()
  const f = e.dataTransfer?.files[0]
  if (f) void guard('prediction-status', () => predictImage(f, f.name))()
}
$('example').onclick = guard('prediction-status', async () => predictImage(await (await fetch('example-digit.png')).blob(), 'example-digit.png'))

// ---- training ----
const worker = new Worker(new URL('trainer.js', location.href))
const steps: { step: number; loss: number; top1: number }[] = []
const evals: { step: number; top1: number }[] = []
const send = (m: ToTrainer) => worker.postMessage(m)
const trainButtons = (running: boolean) => {
  $<HTMLButtonElement>('start').disabled = running
  $<HTMLButtonElement>('stop').disabled = !running
  $<HTMLButtonElement>('resume').disabled = running || steps.length === 0
}

/** Mean of the last `n` values ending at i (the curves are per step, noisy at batch 32). */
const smooth = (v: readonly number[], n: number) => v.map((_, i) => v.slice(Math.max(0, i - n + 1), i + 1).reduce((a, b) => a + b, 0) / Math.min(n, i + 1))

const draw = () => {
  const x = steps.map(s => s.step)
  const loss: Series[] = [{ name: 'training loss (mean of 10 steps)', color: '#1f77b4', points: smooth(steps.map(s => s.loss), 10).map((v, i) => [x[i]!, v]) }]
  const acc: Series[] = [
    { name: 'training top-1 (mean of 10 steps)', color: '#2ca02c', points: smooth(steps.map(s => s.top1), 10).map((v, i) => [x[i]!, 100 * v]) },
    ...(evals.length ? [{ name: 'held-out top-1', color: '#d62728', points: evals.map(e => [e.step, 100 * e.top1] as [number, number]) }] : []),
  ]
  $('loss-chart').innerHTML = lineChart('Loss', loss, { width: 440, height: 220, xLabel: 'step', yLabel: 'loss' })
  $('accuracy-chart').innerHTML = lineChart('Accuracy', acc, { width: 440, height: 220, xLabel: 'step', yLabel: 'top-1 %' })
  $('train').dataset.steps = String(steps.length)
}

worker.onmessage = (event: MessageEvent<FromTrainer>) => {
  const m = event.data
  switch (m.type) {
    case 'status': return show('train-status', m.text)
    case 'start': return show('train-status', `training ${m.parameters.toLocaleString()} parameters on ${m.examples} digits from step ${m.step} of ${m.totalSteps}, ${m.backend}`)
    case 'step':
      steps.push(m)
      // what bench/browser-page.ts reads: each step's images/s
      ;((window as unknown as { __rxRates?: number[] }).__rxRates ??= []).push(m.imagesPerSecond)
      draw()
      return show('train-status', `step ${m.step}, epoch ${m.epoch + 1}: loss ${m.loss.toFixed(3)}, batch top-1 ${(100 * m.top1).toFixed(0)}%, ${m.imagesPerSecond.toFixed(0)} images/s, lr ${m.lr.toExponential(3)}`)
    case 'eval':
      evals.push(m)
      draw()
      return show('eval-status', `held-out top-1 after step ${m.step}: ${(100 * m.top1).toFixed(2)}% of ${m.examples} digits`)
    case 'end':
      trainButtons(false)
      $('train').dataset.ended = `${m.reason}:${m.step}`
      send({ type: 'weights' })
      return show('train-status', `${m.reason} at step ${m.step}${m.reason === 'stopped' ? ' (resume continues from here)' : ''}`)
    case 'weights':
      trainedWeights = concatBytes(m.pieces)
      modelSelect.value = 'digits'
      return show('weights-status', `the digits model trained here (${(trainedWeights.byteLength / 2 ** 20).toFixed(1)} MB) predicts when no weights file is chosen`)
    case 'error':
      trainButtons(false)
      return show('train-status', `error: ${m.message}`)
  }
}

const concatBytes = (pieces: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of pieces) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

$('start').onclick = () => {
  steps.length = 0
  evals.length = 0
  trainButtons(true)
  send({ type: 'start', backend: chosenMode(), epochs: Number($<HTMLInputElement>('epochs').value) || 1 })
}
$('stop').onclick = () => send({ type: 'stop' })
$('resume').onclick = () => {
  trainButtons(true)
  send({ type: 'resume' })
}

trainButtons(false)
void listBackends().catch(e => show('auto', `error: ${(e as Error).message}`))
