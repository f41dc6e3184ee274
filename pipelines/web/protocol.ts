import type { Mode } from '../../lib/backend'

/**
 * The messages between the page (pipelines/web/app.ts) and its training worker
 * (pipelines/web/trainer.ts). Plain data: they cross `postMessage`.
 *
 * @example
 * worker.postMessage({ type: 'start', backend: 'webasm', epochs: 1 } satisfies ToTrainer)
 */
export type ToTrainer =
  | { readonly type: 'start'; readonly backend: Mode; readonly epochs: number }
  | { readonly type: 'stop' }
  | { readonly type: 'resume' }
  | { readonly type: 'weights' }

/** What the worker reports: the run's start, each step, each epoch's held-out accuracy, its end, the weights, an error. */
export type FromTrainer =
  | { readonly type: 'status'; readonly text: string }
  | { readonly type: 'start'; readonly step: number; readonly totalSteps: number; readonly parameters: number; readonly backend: string; readonly examples: number }
  | { readonly type: 'step'; readonly step: number; readonly epoch: number; readonly loss: number; readonly top1: number; readonly lr: number; readonly imagesPerSecond: number; readonly heapMiB: number }
  | { readonly type: 'eval'; readonly step: number; readonly epoch: number; readonly top1: number; readonly examples: number }
  | { readonly type: 'end'; readonly step: number; readonly reason: 'finished' | 'stopped' }
  | { readonly type: 'weights'; readonly name: string; readonly pieces: readonly Uint8Array[] }
  | { readonly type: 'error'; readonly message: string }
