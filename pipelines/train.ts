import { appendFileSync, mkdirSync, writeFileSync } from 'fs'
import * as path from 'path'
import { isLeft } from 'fp-ts/Either'
import { EMPTY, Observable, concat, concatMap, connectable, defer, lastValueFrom, map, of } from 'rxjs'
import { Backend } from '../lib/backend'
import { stepsPerEpoch } from '../lib/data'
import { exportStateDict, writeSafetensors } from '../lib/io'
import { DEFAULT_CONFIG, TrainConfig } from './config'
import { EventOf, rssMiB, TrainEvent, TrainState, evaluate, milestoneLine, progressLine, timmLogLine, readCheckpoint, reportHtml, serializable, train, watchPatterns, writeCheckpoint } from '../lib/train'
import { Dataset, StreamSource, isStream, dataWorkers, decoderName, defaultWorkers, prepareAnywhere } from '../lib/data'
import { timmRunFiles } from './timm-run-files'
import { TimmResume, timmInitialState } from './timm-resume'
import { buildNetwork, classesInWeights, classifierPrefix, initialState, openData, optimizerOf, preprocessing, readWeights, scheduleOf } from './train-setup'

export interface TrainIo {
  /** Milestones and warnings (stderr in the CLI). */
  readonly log: (line: string) => void
  /** Redraws the progress line (a terminal), or undefined: then a line every --log-interval steps goes to `log`. */
  readonly progress?: (line: string) => void
  /** Emits to stop after the current step (SIGINT). */
  readonly stop?: Observable<unknown>
}

export const LAST_CHECKPOINT = 'last.ckpt.safetensors'

/** Step events the report keeps (its charts draw about 400 points). */
const REPORT_STEPS = 2000

/** timm's convention: output/train/<date>-<time>-<model>. */
export const defaultOutput = (c: TrainConfig): string => path.join('output', 'train', `${stamp()}-${c.model}`)

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)

/**
 * A whole training run as configured: data, network, optimizer and schedule from the config; the
 * rxjs loop; evaluation after each epoch and checkpoints after that (operators on the event
 * stream); events.ndjson, the progress display and report.html as subscribers. Ends with
 * model.safetensors (timm names) and a `done` event. The backend is the caller's.
 *
 * @example
 * const done = await runTraining(decodeConfig({ epochs: 1 }, 'example'), backend, { log: console.error })
 */
export const runTraining = async (config: TrainConfig, backend: Backend, io: TrainIo, resumed?: TrainState | TimmResume): Promise<EventOf<'done'>> => {
  const t0 = Date.now()
  const out = config.output ?? defaultOutput(config)
  mkdirSync(out, { recursive: true })
  const ckptFile = path.join(out, LAST_CHECKPOINT)
  const data = await openData(config, io.log)
  const weights = config.initialCheckpoint && !resumed ? await readWeights(config.initialCheckpoint) : undefined
  const fromFile = weights && !config.resetClassifier ? classesInWeights(weights, config) : undefined
  if (weights && !config.resetClassifier && config.numClasses === null && fromFile === undefined) {
    throw new Error(`--initial-checkpoint: ${config.initialCheckpoint} has no '${classifierPrefix(config)}.weight'; pass --num-classes`)
  }
  const classes = config.numClasses ?? fromFile ?? data.train.classes
  const net = buildNetwork(config, classes)
  const optimizer = optimizerOf(config)
  const per = stepsPerEpoch(data.train, config.batchSize)
  const initial = resumed && 'kind' in resumed ? timmInitialState(resumed, config, net, per, p => optimizer.init(p))
    : resumed ?? initialState(config, net, p => optimizer.init(p), weights && { file: config.initialCheckpoint!, tensors: weights, classifier: classifierPrefix(config) })
  const prep = preprocessing(config)
  const workerCount = config.workers ?? defaultWorkers()
  const workers = workerCount > 0 && (hasFiles(data.train) || (data.heldOut && hasFiles(data.heldOut))) ? dataWorkers(workerCount) : undefined
  if (workers) io.log(`data: ${workers.size} worker thread${workers.size > 1 ? 's' : ''} decoding with ${decoderName()}, ${config.prefetch} batches prefetched`)
  const evalPrep = { ...prep.eval, ...(workers ? { workers } : {}) }
  writeFileSync(path.join(out, 'config.json'), JSON.stringify(config, null, 2))
  const eventsFile = path.join(out, 'events.ndjson')
  if (!resumed) writeFileSync(eventsFile, '')

  let firstEpoch: { rss: number; compiled: number } | undefined
  let lastEval: EventOf<'eval'> | undefined
  let lastSaved = -1
  const saveCheckpoint = (s: TrainState) => defer(async () => {
    const r = await writeCheckpoint(ckptFile, s, config)()
    if (isLeft(r)) throw r.left
    lastSaved = s.step
    return { type: 'checkpoint', step: s.step, path: ckptFile } as TrainEvent
  })
  const heldOut = data.heldOut
  const evaluation = (e: EventOf<'epoch'>) => defer(async (): Promise<TrainEvent> => {
    const t = performance.now()
    const m = await evaluate({ net, params: e.snapshot.params, state: e.snapshot.state, dataset: heldOut!, views: async r => [await prepareAnywhere(r, evalPrep, [0, 0])], batchSize: config.evalBatchSize, classes, backend, prefetch: config.prefetch })
    lastEval = { type: 'eval', step: e.step, epoch: e.epoch, top1: m.top1, top5: m.top5, loss: m.loss, examples: m.examples, seconds: (performance.now() - t) / 1000 }
    return lastEval
  })
  const finish = (e: EventOf<'end'>) => defer(async (): Promise<TrainEvent> => {
    const w = await writeSafetensors(path.join(out, 'model.safetensors'), exportStateDict(e.snapshot.params, e.snapshot.state), { format: 'pt', model: config.model })()
    if (isLeft(w)) throw w.left
    return {
      type: 'done', step: e.step, reason: e.reason, top1: lastEval?.top1 ?? null, top5: lastEval?.top5 ?? null, seconds: (Date.now() - t0) / 1000,
      rssAfterFirstEpochMiB: firstEpoch?.rss ?? null, rssEndMiB: rssMiB(), compiledAfterFirstEpoch: firstEpoch?.compiled ?? null, compiledEnd: backend.stats.compiled,
    }
  })

  const events = connectable(train({
    net, optimizer, schedule: scheduleOf(config, per), classes, smoothing: config.smoothing, backend,
    watch: { layers: watchPatterns(config.watch), every: config.logInterval },
    dataset: data.train,
    plan: {
      batchSize: config.batchSize, key: foldKey(initial), shuffle: true, ...prep.train, ...(workers ? { workers } : {}), prefetch: config.prefetch, onBad: config.onBadRecord,
      onSkip: s => io.log(`skipped ${s.where}: ${s.reason} (step ${s.step}; a keyed replacement took its place)`),
    },
    epochs: config.epochs, initial, ...(io.stop ? { stop: io.stop } : {}),
  }).pipe(
    // evaluation and checkpoints: operators on the event stream, in order, while the loop goes on
    concatMap(e =>
      e.type === 'epoch' ? concat(of(e), heldOut ? evaluation(e) : EMPTY, saveCheckpoint(e.snapshot))
      : e.type === 'end' ? concat(e.step === lastSaved ? EMPTY : saveCheckpoint(e.snapshot), of(e), finish(e))
      : of(e)),
    map(e => {
      if (e.type === 'checkpoint' && !firstEpoch && e.step >= per) firstEpoch = { rss: rssMiB(), compiled: backend.stats.compiled }
      return e
    }),
  ))

  const milestones: TrainEvent[] = []
  const progress = progressLine(per * config.epochs, initial.step, Date.now())
  const timmLine = timmLogLine(per, config.batchSize, config.logInterval)
  events.subscribe({ next: e => appendFileSync(eventsFile, `${JSON.stringify(serializable(e))}\n`), error: () => undefined })
  events.subscribe({ next: timmRunFiles(out, config, classes, heldOut !== undefined), error: () => undefined })
  events.subscribe({
    next: e => {
      // a terminal gets the redrawn bar; a log file timm's line shape
      const p = io.progress ? progress(e) : timmLine(e)
      if (p) (io.progress ?? io.log)(p)
      const m = milestoneLine(e)
      if (m) io.log(m)
    },
    error: () => undefined,
  })
  // the report's history: milestones kept whole, step events thinned to at most REPORT_STEPS (halving
  // the density when full), so a long run's memory stays bounded; snapshots are never kept
  const steps = thinned(REPORT_STEPS)
  const watched = thinned(REPORT_STEPS / 4)
  events.subscribe({
    next: e => {
      if (e.type === 'step') return steps.add(serializable(e) as unknown as TrainEvent)
      if (e.type === 'activations') return watched.add(e)
      if (e.type !== 'end') milestones.push(e.type === 'epoch' ? (serializable(e) as unknown as TrainEvent) : e)
      if (e.type === 'checkpoint' || e.type === 'done') writeFileSync(path.join(out, 'report.html'), reportHtml([...milestones, ...steps.kept(), ...watched.kept()], config, DEFAULT_CONFIG))
    },
    error: () => undefined,
  })
  const done = lastValueFrom(events)
  events.connect()
  try {
    return (await done) as EventOf<'done'>
  } catch (e) {
    appendFileSync(eventsFile, `${JSON.stringify({ type: 'error', message: (e as Error).message })}\n`)
    throw new Error(`${(e as Error).message}; the last good checkpoint is ${ckptFile} (if one was written)`)
  } finally {
    await workers?.close()
  }
}

/**
 * Events kept for the report, at most `limit`: when full, every other kept one is dropped and only
 * every 2^k-th arriving event is taken from then on, so the kept ones stay evenly spaced whatever
 * the events' own step spacing (every step, or every --log-interval).
 */
const thinned = (limit: number) => {
  let kept: TrainEvent[] = []
  let stride = 1
  let arrived = 0
  return {
    add(e: TrainEvent) {
      if (arrived++ % stride !== 0) return
      kept.push(e)
      if (kept.length > limit) {
        stride *= 2
        kept = kept.filter((_, i) => i % 2 === 0)
      }
    },
    kept: () => kept,
  }
}

/** Whether a dataset's records are files or stream bytes (decoded by the data workers); a look at its first record. */
const hasFiles = (d: Dataset | StreamSource): boolean => isStream(d) || (d.size > 0 && d.record(0).kind !== 'example')

/** The data order's key, independent of the parameter initialisation's. */
const foldKey = (s: TrainState) => [s.key[0] ^ 0x6d2b79f5, s.key[1]] as const

/** Reads a checkpoint for --resume (a file, or a run directory holding last.ckpt.safetensors). */
export const loadResume = async (target: string): Promise<{ state: TrainState; config: unknown; file: string }> => {
  const file = target.endsWith('.safetensors') ? target : path.join(target, LAST_CHECKPOINT)
  const r = await readCheckpoint(file)()
  if (isLeft(r)) throw r.left
  return { state: r.right.snapshot, config: r.right.config, file }
}

