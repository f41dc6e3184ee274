import { SingleBar } from 'cli-progress'
import { formatSeconds } from '../lib/train'

/**
 * Evaluation's progress on standard error: on a terminal a cli-progress bar (images, rate, ETA)
 * redrawn in place; otherwise a line at each tenth of the way.
 *
 * @example
 * const bar = evaluationProgress(); bar.update(500, 5000); bar.stop()
 */
export const evaluationProgress = (stream: NodeJS.WriteStream = process.stderr) => {
  const t0 = Date.now()
  let bar: SingleBar | undefined
  let tenth = 0
  let stopped = false
  return {
    update: (done: number, total: number) => {
      const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000)
      if (stream.isTTY) {
        bar ??= new SingleBar({ stream, format: 'evaluate [{bar}] {value}/{total} images | {rate} img/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 })
        if (done <= total && !bar.isActive) bar.start(total, 0, { rate: '?' })
        bar.update(done, { rate: rate.toFixed(1) })
        return
      }
      const now = Math.floor((10 * done) / Math.max(1, total))
      if (now > tenth || done === total) {
        tenth = now
        stream.write(`evaluate ${done}/${total} images, ${rate.toFixed(1)} img/s, ETA ${formatSeconds((total - done) / Math.max(rate, 1e-9))}\n`)
      }
    },
    stop: () => {
      if (stopped) return
      stopped = true
      bar?.stop()
    },
  }
}
