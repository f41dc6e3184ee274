import { TrainEvent } from './state'

/** Python's `{x:#.3g}`: three significant digits, trailing zeros kept, a two-digit exponent. */
const g3 = (x: number) => x.toPrecision(3).replace(/e([+-])(\d)$/, 'e$10$2')
/** Python's `{x:.3e}`. */
const e3 = (x: number) => x.toExponential(3).replace(/e([+-])(\d)$/, 'e$10$2')

/**
 * Training progress as timm's train.py logs it, for people and tools used to timm's logs
 * (`Train: 0 [  50/281 ( 18%)]  Loss: 2.31 (2.45)  Time: 0.412s,   77.67/s  (0.430s,   74.42/s)  LR: 4.500e-02`):
 * the epoch from 0, the update's index within it, this step's loss and the epoch's running mean,
 * this step's time and images/s and the epoch's means, the learning rate. A line at every
 * `every`-th update of an epoch and at its last, as timm. timm's `Data:` time is not measured here,
 * so it is not printed.
 *
 * @example
 * const line = timmLogLine(281, 32, 50)
 * events.subscribe(e => { const l = line(e); if (l) console.error(l) })
 */
export const timmLogLine = (perEpoch: number, batchSize: number, every: number) => {
  let epoch = -1
  let lossSum = 0
  let seconds = 0
  let count = 0
  return (e: TrainEvent): string | undefined => {
    if (e.type !== 'step') return undefined
    if (e.epoch !== epoch) {
      epoch = e.epoch
      lossSum = seconds = count = 0
    }
    const stepSeconds = batchSize / e.imagesPerSecond
    lossSum += e.loss
    seconds += stepSeconds
    count++
    const index = (e.step - 1) % perEpoch
    if (index % every !== 0 && index !== perEpoch - 1) return undefined
    const mean = seconds / count
    return `Train: ${epoch} [${String(index).padStart(4)}/${perEpoch} (${String(Math.round((100 * (index + 1)) / perEpoch)).padStart(3)}%)]  ` +
      `Loss: ${g3(e.loss)} (${g3(lossSum / count)})  ` +
      `Time: ${stepSeconds.toFixed(3)}s, ${e.imagesPerSecond.toFixed(2).padStart(7)}/s  (${mean.toFixed(3)}s, ${(batchSize / mean).toFixed(2).padStart(7)}/s)  ` +
      `LR: ${e3(e.lr)}`
  }
}
