import { lastValueFrom, ReplaySubject, Subject, tap } from 'rxjs'
import { Backend, createBackend, Mode } from '../../lib/backend'
import { digitSplit, unpackDigits } from '../../lib/data/digits-pack'
import { prepareAnywhere } from '../../lib/data/prepare'
import { encodeSafetensors } from '../../lib/io/safetensors-bytes'
import { exportStateDict } from '../../lib/io/state-dict'
import { foldInName, keyFromSeed } from '../../lib/tensor'
import { evaluate } from '../../lib/train/evaluate'
import { train } from '../../lib/train/loop'
import { TrainState } from '../../lib/train/state'
import { stepsPerEpoch } from '../../lib/data/batches'
import { DEFAULT_CONFIG } from '../config'
import { buildNetwork, inputShape, optimizerOf, preprocessing, scheduleOf } from '../train-recipe'
import { FromTrainer, ToTrainer } from './protocol'

/**
 * The page's training worker: `rxception train`'s default run (DEFAULT_CONFIG: the small
 * Inception-ResNet-v1 on the MNIST digits, RMSProp as TF with ε 1.0, lr 0.045 × 0.94 every two
 * epochs) composed from the same library parts, in a Web Worker so the page stays responsive.
 * The digits come from `digits.bin` (lib/data/digits-pack.ts: the same float32 values as Node's).
 * Stop finishes the step in flight and keeps the state; resume continues from it, bit for bit
 * the run that was not stopped (the loop's data order and keys depend on the step alone).
 */
const post = (m: FromTrainer, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer)

const config = DEFAULT_CONFIG
let data: Promise<ReturnType<typeof digitSplit>> | undefined
let backend: Backend | undefined
let snapshot: TrainState | undefined
let stop: Subject<void> | undefined
let epochs = 1
let requestedBackend: Mode = 'auto'

const digits = () =>
  (data ??= fetch(new URL('digits.bin', self.location.href)).then(async r => {
    if (!r.ok) throw new Error(`digits.bin: HTTP ${r.status}`)
    return digitSplit(unpackDigits(new Uint8Array(await r.arrayBuffer())))
  }))

const net = buildNetwork(config, 10)
const optimizer = optimizerOf(config)
const prep = preprocessing(config)

const run = async (from: TrainState | undefined, stopped: Subject<void>) => {
  const { train: trainSet, heldOut } = await digits()
  if (backend && backend.mode !== requestedBackend && requestedBackend !== 'auto') {
    await backend.destroy()
    backend = undefined
  }
  backend ??= await createBackend(requestedBackend)
  const key = keyFromSeed(config.seed)
  const initial: TrainState = from ?? (() => {
    const fresh = net.init(foldInName(key, 'init'), inputShape(config))
    return { params: fresh.params, state: fresh.state, opt: optimizer.init(fresh.params), step: 0, key }
  })()
  const per = stepsPerEpoch(trainSet, config.batchSize)
  const events = train({
    net, optimizer, schedule: scheduleOf(config, per), classes: 10, smoothing: config.smoothing, backend, dataset: trainSet,
    plan: { ...prep.train, batchSize: config.batchSize, key: foldInName(key, 'data'), shuffle: true }, epochs, initial, stop: stopped,
  }).pipe(tap(e => {
    if (e.type === 'start') post({ type: 'start', step: e.step, totalSteps: e.totalSteps, parameters: e.parameters, backend: e.backend, examples: e.examples })
    if (e.type === 'step') post({ type: 'step', step: e.step, epoch: e.epoch, loss: e.loss, top1: e.top1, lr: e.lr, imagesPerSecond: e.imagesPerSecond, heapMiB: e.rssMiB })
    if (e.type === 'end') snapshot = e.snapshot
  }))
  const end = await lastValueFrom(events)
  if (end.type === 'end') {
    if (end.reason === 'finished') {
      const m = await evaluate({ net, params: end.snapshot.params, state: end.snapshot.state, dataset: heldOut, views: async r => [await prepareAnywhere(r, prep.eval, [0, 0])], batchSize: 100, classes: 10, backend })
      post({ type: 'eval', step: end.step, epoch: Math.ceil(end.step / per), top1: m.top1, examples: heldOut.size })
    }
    post({ type: 'end', step: end.step, reason: end.reason })
  }
}

let running = false

/**
 * One run at a time: the stop signal exists before the run's first await (a Stop pressed while the
 * digits download or the first kernels compile is not lost, it ends the run at its first step),
 * and a second start or resume while one runs is refused.
 */
const launch = (from: TrainState | undefined) => {
  if (running) return post({ type: 'error', message: 'a run is in progress: stop it first' })
  running = true
  // a replay subject: a Stop that comes before the loop subscribes still stops it
  stop = new ReplaySubject<void>(1)
  const stopped = stop
  run(from, stopped)
    .catch(e => post({ type: 'error', message: (e as Error).message }))
    .finally(() => { running = false })
}

self.onmessage = (event: MessageEvent<ToTrainer>) => {
  const m = event.data
  switch (m.type) {
    case 'start':
      if (running) return post({ type: 'error', message: 'a run is in progress: stop it first' })
      requestedBackend = m.backend || 'auto'
      epochs = m.epochs
      snapshot = undefined
      launch(undefined)
      break
    case 'stop':
      stop?.next()
      break
    case 'resume':
      if (!snapshot) post({ type: 'error', message: 'resume: nothing to resume (start a run first)' })
      else launch(snapshot)
      break
    case 'weights': {
      if (!snapshot) {
        post({ type: 'error', message: 'weights: no trained weights yet (stop or finish a run first)' })
        break
      }
      const pieces = encodeSafetensors(exportStateDict(snapshot.params, snapshot.state), { format: 'pt', model: config.model }, 'model.safetensors')
      post({ type: 'weights', name: 'model.safetensors', pieces }, [])
      break
    }
  }
}
post({ type: 'status', text: 'trainer ready' })
