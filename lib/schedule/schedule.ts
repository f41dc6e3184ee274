/**
 * Learning-rate schedules: pure functions of the optimizer step (0 for the first update).
 * Epoch-based settings are converted to steps with the run's steps per epoch.
 *
 * @example
 * const s: Schedule = step => 0.1 / (1 + step)
 */
export type Schedule = (step: number) => number

/** @example constant(0.01)(1234) === 0.01 */
export const constant = (lr: number): Schedule => () => lr

/**
 * lr · rate^(step / decaySteps), floored when `staircase` (the default). The paper:
 * `stepDecay(0.045, 0.94, 2 * stepsPerEpoch)` is 0.045 × 0.94^⌊epoch / 2⌋.
 *
 * @example
 * const s = stepDecay(0.045, 0.94, 2 * 100)
 * s(199) === 0.045; s(200) === 0.045 * 0.94
 */
export const stepDecay = (lr: number, rate: number, decaySteps: number, staircase = true): Schedule => {
  if (!(decaySteps > 0)) throw new RangeError(`stepDecay: decaySteps must be positive, got ${decaySteps}`)
  return step => lr * rate ** (staircase ? Math.floor(step / decaySteps) : step / decaySteps)
}

/**
 * Half-cosine from lr at step 0 to `minLr` at `totalSteps` (SGDR without restarts), then `minLr`.
 *
 * @example cosine(0.1, 1000)(500) ≈ 0.05
 */
export const cosine = (lr: number, totalSteps: number, minLr = 0): Schedule => {
  if (!(totalSteps > 0)) throw new RangeError(`cosine: totalSteps must be positive, got ${totalSteps}`)
  return step => (step >= totalSteps ? minLr : minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * step) / totalSteps)))
}

/**
 * Linear warm-up from `initLr` over `warmupSteps`, reaching the wrapped schedule's value at the end
 * of warm-up, then the wrapped schedule itself (counted from step 0, as timm's schedulers count).
 *
 * @example withWarmup(constant(0.1), 10, 0)(5) === 0.05
 */
export const withWarmup = (schedule: Schedule, warmupSteps: number, initLr = 0): Schedule =>
  warmupSteps <= 0 ? schedule : step => (step < warmupSteps ? initLr + ((schedule(warmupSteps) - initLr) * step) / warmupSteps : schedule(step))
