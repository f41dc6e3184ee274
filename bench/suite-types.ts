import type { StepProfile } from '../lib/train/step-profile'

/** One case of the network benchmark, as the suite hands it to a child process (bench/case.ts). */
export interface BenchCase {
  readonly engine: 'rxception' | 'tfjs-cpu' | 'tfjs-wasm' | 'ort-wasm' | 'ort-native' | 'torch'
  /** rxception's backend (webasm, cpu, ...); the peers' own backend is their engine. */
  readonly backend: string
  readonly network: string
  readonly classes: number
  readonly size: number
  /** Input channels (3 RGB, 1 grey). */
  readonly inChans: number
  readonly batch: number
  readonly pass: 'infer' | 'train'
  readonly warmup: number
  readonly reps: number
  /** The rxception case writes its logits (and loss, gradients) here; the peers read them. */
  readonly reference?: string
  /** rxception rows: also profile the pass (bench --detail; see lib/train/step-profile.ts). */
  readonly detail?: boolean
}

/**
 * One row of the results: what ran, how fast, how much memory, and the check against rxception.
 *
 * @example
 * const r: BenchRow = rows[0]
 */
export interface BenchRow {
  readonly engine: string
  readonly backend: string
  readonly network: string
  readonly size: number
  readonly batch: number
  readonly pass: 'infer' | 'train'
  readonly imagesPerSecond: number | null
  readonly msPerBatch: number | null
  readonly minMs?: number
  readonly maxMs?: number
  /** Effective GFLOP/s: 2 · multiply-adds of the pass (training counts forward + two backward passes: 3×) / time. */
  readonly gflops: number | null
  readonly peakRssMiB: number | null
  /** Largest |peer logit − rxception logit| (inference rows); null for training rows and rxception's own. */
  readonly maxAbsLogitDiff: number | null
  readonly check: string
  readonly checkPassed: boolean
  /** Why there is no timing (an engine that cannot run the case, a failed check, the budget). */
  readonly error?: string
  /** The 1-minute load average when the case started. */
  readonly loadAverage: number
  /** rxception rows with --detail: where the pass's time went (a training row: a whole step, optimizer included). */
  readonly profile?: StepProfile
}
