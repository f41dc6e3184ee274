import { readFileSync } from 'fs'
import * as path from 'path'
import { LayerActivity } from '../../lib/train'

/** How big an experiment's runs are: `tiny` for tests (seconds), `quick` (minutes), `full` (the figures in the README). */
export type ExperimentSize = 'tiny' | 'quick' | 'full'

/**
 * One arm of an experiment: a label and the `rxception train` options that make it (camelCase
 * keys, as a sweep member's); it runs once per seed.
 *
 * @example
 * const arm: Arm = { arm: 'scale 0.1', options: { residualScale: 0.1 } }
 */
export interface Arm {
  readonly arm: string
  readonly options: Readonly<Record<string, unknown>>
}

/**
 * What an experiment runs at one size: options every arm shares, the arms, and the seeds each arm
 * runs with. Arm × seed is one sweep member, so the runs fan out like any sweep.
 */
export interface ExperimentPlan {
  readonly base: Readonly<Record<string, unknown>>
  readonly arms: readonly Arm[]
  readonly seeds: readonly number[]
}

/**
 * An experiment: the paper's claim it tests, its plan at each size, and what its report shows and
 * concludes, computed from the runs' events (never written in advance).
 *
 * @example
 * const e: Experiment = EXPERIMENTS['residual-scaling']
 * e.plan('quick').arms.map(a => a.arm)
 */
export interface Experiment {
  readonly name: string
  readonly title: string
  /** The paper's claim, in a sentence. */
  readonly claim: string
  plan(size: ExperimentSize): ExperimentPlan
  /** Sentences that follow from the runs: what happened in each arm, and whether the claim held here. */
  verdict(runs: readonly ArmRun[]): string[]
  /** The report's figures for these runs (HTML). */
  figures(runs: readonly ArmRun[]): string
}

/** One member's run as its events.ndjson tells it. */
export interface ArmRun {
  readonly arm: string
  readonly seed: number
  readonly folder: string
  readonly options: Readonly<Record<string, unknown>>
  readonly backend: string
  readonly stepsPerEpoch: number
  /** Train loss at every step. */
  readonly losses: readonly [number, number][]
  /** Held-out results after each epoch, with the training seconds spent up to then. */
  readonly evals: readonly { readonly epoch: number; readonly step: number; readonly top1: number; readonly loss: number; readonly seconds: number }[]
  readonly activations: readonly { readonly step: number; readonly layers: readonly LayerActivity[] }[]
  readonly seconds: number
  readonly finalTop1: number | null
}

type Line = { type?: string } & Record<string, unknown>

/**
 * Reads a finished member's events.ndjson. A run resumed after a stop has its steps twice from the
 * checkpoint on: the later lines win.
 *
 * @example
 * const run = readArmRun('output/experiments/residual-scaling/member-000', arm, 1)
 */
export const readArmRun = (folder: string, arm: Arm, seed: number): ArmRun => {
  const lines = readFileSync(path.join(folder, 'events.ndjson'), 'utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l) as Line)
  const byStep = <T>(m: Map<number, T>) => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)
  const losses = new Map<number, [number, number]>()
  const activations = new Map<number, ArmRun['activations'][number]>()
  const epochSeconds = new Map<number, number>()
  const evals = new Map<number, ArmRun['evals'][number]>()
  let start: Line | undefined
  let done: Line | undefined
  for (const e of lines) {
    if (e.type === 'start') start ??= e
    else if (e.type === 'step') losses.set(e.step as number, [e.step as number, e.loss as number])
    else if (e.type === 'activations') activations.set(e.step as number, { step: e.step as number, layers: e.layers as LayerActivity[] })
    else if (e.type === 'epoch') epochSeconds.set(e.epoch as number, e.seconds as number)
    else if (e.type === 'eval') {
      const upTo = [...epochSeconds.entries()].filter(([k]) => k <= (e.epoch as number)).reduce((s, [, v]) => s + v, 0)
      evals.set(e.epoch as number, { epoch: e.epoch as number, step: e.step as number, top1: e.top1 as number, loss: e.loss as number, seconds: upTo })
    } else if (e.type === 'done') done = e
  }
  return {
    arm: arm.arm, seed, folder, options: arm.options,
    backend: String(start?.backend ?? 'n/a'), stepsPerEpoch: Number(start?.stepsPerEpoch ?? 0),
    losses: byStep(losses), evals: byStep(evals), activations: byStep(activations),
    seconds: Number(done?.seconds ?? 0), finalTop1: typeof done?.top1 === 'number' ? done.top1 : null,
  }
}

/**
 * Mean, smallest and largest of some numbers (the spread over seeds).
 *
 * @example
 * spread([0.9, 0.92]) // { mean: 0.91, min: 0.9, max: 0.92 }
 */
export const spread = (xs: readonly number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) })

/** A percentage with one decimal. */
export const pct = (v: number) => `${(100 * v).toFixed(1)}%`

/** One colour per arm, in the order arms are listed (seeds of an arm share it). */
export const ARM_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']

/** The arms' labels in plan order, each once. */
export const armsOf = (runs: readonly ArmRun[]) => [...new Set(runs.map(r => r.arm))]
