import { NEVER, Observable, Subject, concat, defer, from, mergeMap, mergeScan, of, takeUntil, tap } from 'rxjs'
import type { Dataset } from '../data/example'
import type { StreamSource } from '../data/stream-source'
import { EpochPlan, pulledBatches, stepsPerEpoch } from '../data/batches'
import { countParameters } from '../tree'
import { StepResult, StepSetup, trainStep } from './step'
import { EventOf, TrainEvent, TrainState } from './state'
import { nextTurn, residentMiB } from '../platform'

/**
 * What the loop needs: the step's setup, the data and how it is read, the number of epochs, where
 * to start, and an optional stop signal.
 *
 * @example
 * train({ net, optimizer, schedule, classes: 10, smoothing: 0.1, backend, dataset, plan, epochs: 10, initial })
 */
export interface TrainLoop extends StepSetup {
  /** Random-access data, or a stream (wds shards, a pipe) read in order. */
  readonly dataset: Dataset | StreamSource
  readonly plan: EpochPlan
  readonly epochs: number
  /** Where to start: fresh (`step` 0) or a checkpoint's state. */
  readonly initial: TrainState
  /** When this emits, the loop finishes the step in flight, emits `end` (reason 'stopped') and completes. */
  readonly stop?: Observable<unknown>
}

/**
 * The process's resident set size in MiB (what events and the run's summary report).
 *
 * @example
 * console.error(`RSS ${rssMiB()} MiB`)
 */
export const rssMiB = (): number => residentMiB()

/**
 * Training as an rxjs stream. Batches are pulled: the next is assembled only after the previous
 * step's event has been emitted, so at most one batch waits, however fast the data is. Steps are
 * asynchronous, so the loop is an async scan (`mergeScan` with concurrency 1) over the training
 * state. It emits `start`, a `step` event per step, an `epoch` event at each epoch's end and a final
 * `end`; each carries what subscribers need (the snapshot for checkpoints and evaluation), and the
 * loop calls none of them. Unsubscribing stops it: no step starts after that.
 *
 * @example
 * train({ net, optimizer: rmsproptf(), schedule: constant(0.01), classes: 10, smoothing: 0, backend,
 *         dataset, plan: { batchSize: 32, key, shuffle: true, prepare }, epochs: 1, initial })
 *   .subscribe(e => e.type === 'step' && console.log(e.step, e.loss))
 */
export const train = (o: TrainLoop): Observable<TrainEvent> =>
  defer(() => {
    const per = stepsPerEpoch(o.dataset, o.plan.batchSize)
    if (per === 0) throw new RangeError(`${o.dataset.name}: ${o.dataset.size} examples are fewer than one batch of ${o.plan.batchSize}`)
    const total = per * o.epochs
    const step = trainStep(o)
    const demand = new Subject<void>()
    let last = o.initial
    // a run resumed mid-epoch continues its epoch's sums from the checkpoint
    const carried = o.initial.step % per !== 0 ? o.initial.epochSoFar : undefined
    let epochStart = { time: performance.now(), loss: carried?.loss ?? 0, hits: carried?.hits ?? 0, steps: carried?.steps ?? 0 }
    let previous = performance.now()
    const start: TrainEvent = {
      type: 'start', step: o.initial.step, totalSteps: total, stepsPerEpoch: per, batchSize: o.plan.batchSize,
      examples: o.dataset.size, parameters: countParameters(o.initial.params), backend: `${o.backend.mode} (${o.backend.device})`,
    }
    const steps = pulledBatches(o.dataset, o.plan, o.initial.step, total, demand).pipe(
      takeUntil(o.stop ?? NEVER),
      mergeScan((acc, batch) => from(step(acc.state, batch)), { state: o.initial, loss: NaN, top1: NaN, lr: NaN } as StepResult, 1),
      // the next batch is requested once per step, after this step's events have reached every
      // subscriber, on the next turn of the event loop: a stop requested on seeing them is honoured,
      // and I/O (checkpoint writes) and signals get their turn even when every kernel call resolves
      // without leaving the microtask queue (small kernels run on the main thread)
      tap(() => nextTurn(() => demand.next())),
      mergeMap((r): Observable<TrainEvent> => {
        const now = performance.now()
        const s = r.state.step
        const epoch = Math.floor((s - 1) / per)
        epochStart = { ...epochStart, loss: epochStart.loss + r.loss, hits: epochStart.hits + r.top1, steps: epochStart.steps + 1 }
        const e = epochStart
        if (s % per === 0) epochStart = { time: now, loss: 0, hits: 0, steps: 0 }
        // the snapshot carries the epoch's sums (zero at its end): a checkpoint of it resumes them
        const snapshot: TrainState = { ...r.state, epochSoFar: { loss: epochStart.loss, hits: epochStart.hits, steps: epochStart.steps } }
        last = snapshot
        const stepEvent: EventOf<'step'> = {
          type: 'step', step: s, epoch, loss: r.loss, top1: r.top1, lr: r.lr, imagesPerSecond: (o.plan.batchSize * 1000) / (now - previous),
          rssMiB: rssMiB(), compiled: o.backend.stats.compiled, time: Date.now(), snapshot,
        }
        previous = now
        const watched: TrainEvent[] = r.activity ? [{ type: 'activations', step: r.state.step - 1, epoch, layers: r.activity }] : []
        if (s % per !== 0) return of(stepEvent, ...watched)
        return of<TrainEvent[]>(stepEvent, ...watched, {
          type: 'epoch', step: s, epoch, loss: e.loss / e.steps, top1: e.hits / e.steps, seconds: (now - e.time) / 1000,
          rssMiB: rssMiB(), compiled: o.backend.stats.compiled, snapshot,
        })
      }),
    )
    return concat(of(start), steps, defer(() => of<TrainEvent>({ type: 'end', step: last.step, reason: last.step >= total ? 'finished' : 'stopped', snapshot: last })))
  })

