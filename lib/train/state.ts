import { Key } from '../tensor'
import { Tree } from '../tree'
import { LayerActivity } from './watch'

/**
 * Everything a training run carries from step to step. Tensors are immutable, so a state is a
 * consistent snapshot: subscribers (checkpoints, evaluation) read it while the loop moves on.
 *
 * @example
 * const initial: TrainState = { params, state, opt: optimizer.init(params), step: 0, key: keyFromSeed(42) }
 */
export interface TrainState {
  readonly params: Tree
  /** Batch-norm running statistics. */
  readonly state: Tree
  readonly opt: Tree
  /** Optimizer steps taken; also the data position (see lib/data/batches). */
  readonly step: number
  /** The run's key: step s uses foldIn(key, s) for dropout. */
  readonly key: Key
  /**
   * The current epoch's sums so far (train loss, top-1 hits, steps), so that a run resumed
   * mid-epoch reports the epoch's mean over all its steps, not only those after the resume.
   */
  readonly epochSoFar?: EpochSums
}

/**
 * Sums over an epoch's steps so far.
 *
 * @example
 * const mean = (s: EpochSums) => s.loss / s.steps
 */
export interface EpochSums {
  readonly loss: number
  readonly hits: number
  readonly steps: number
}

/**
 * What the loop emits. `snapshot` is for subscribers in this process; files get the rest.
 *
 * @example
 * events.subscribe((e: TrainEvent) => e.type === 'eval' && console.log(e.top1))
 */
export type TrainEvent =
  | { readonly type: 'start'; readonly step: number; readonly totalSteps: number; readonly stepsPerEpoch: number; readonly batchSize: number; readonly examples: number; readonly parameters: number; readonly backend: string }
  | { readonly type: 'step'; readonly step: number; readonly epoch: number; readonly loss: number; readonly top1: number; readonly lr: number; readonly imagesPerSecond: number; readonly rssMiB: number; readonly compiled: number; readonly time: number; readonly snapshot: TrainState }
  | { readonly type: 'epoch'; readonly step: number; readonly epoch: number; readonly loss: number; readonly top1: number; readonly seconds: number; readonly rssMiB: number; readonly compiled: number; readonly snapshot: TrainState }
  | { readonly type: 'eval'; readonly step: number; readonly epoch: number; readonly top1: number; readonly top5: number; readonly loss: number; readonly examples: number; readonly seconds: number }
  | { readonly type: 'activations'; readonly step: number; readonly epoch: number; readonly layers: readonly LayerActivity[] }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string }
  | { readonly type: 'end'; readonly step: number; readonly reason: 'finished' | 'stopped'; readonly snapshot: TrainState }
  | { readonly type: 'done'; readonly step: number; readonly top1: number | null; readonly top5: number | null; readonly seconds: number; readonly reason: 'finished' | 'stopped'; readonly rssAfterFirstEpochMiB: number | null; readonly rssEndMiB: number; readonly compiledAfterFirstEpoch: number | null; readonly compiledEnd: number }

/**
 * The event of one type.
 *
 * @example
 * const done = (await lastValueFrom(events)) as EventOf<'done'>
 */
export type EventOf<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>

/**
 * An event as written to events.ndjson: without the in-memory snapshot.
 *
 * @example
 * appendFileSync('events.ndjson', JSON.stringify(serializable(e)) + '\n')
 */
export const serializable = (e: TrainEvent): Record<string, unknown> => {
  const { snapshot: _omit, ...rest } = e as TrainEvent & { snapshot?: unknown }
  return rest
}
