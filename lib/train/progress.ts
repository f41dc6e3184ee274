import { TrainEvent } from './state'

/**
 * The progress display: on a terminal, one line redrawn in place (step/total, epoch, loss, top-1,
 * learning rate, images/s, ETA); otherwise a line every `every` steps and at each epoch. A pure
 * formatter per event; the caller writes what it returns.
 *
 * @example
 * events.pipe(map(progressLine(totalSteps, 0, Date.now()))).subscribe(line => line && process.stderr.write(`\r${line}`))
 */
export const progressLine = (total: number, startStep: number, startTime: number) => (e: TrainEvent): string | undefined => {
  if (e.type !== 'step') return undefined
  const done = e.step - startStep
  const elapsed = (Date.now() - startTime) / 1000
  const eta = done > 0 ? ((total - e.step) * elapsed) / done : NaN
  const width = 20
  const filled = Math.round((width * e.step) / Math.max(1, total))
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${e.step}/${total} epoch ${e.epoch + 1} loss ${e.loss.toFixed(4)} top-1 ${(100 * e.top1).toFixed(1)}% lr ${e.lr.toPrecision(3)} ${e.imagesPerSecond.toFixed(0)} img/s ETA ${formatSeconds(eta)}`
}

/**
 * Seconds as 1h02m or 2m05s.
 *
 * @example
 * formatSeconds(125) // '2m05s'
 */
export const formatSeconds = (s: number): string => {
  if (!Number.isFinite(s)) return '?'
  // rounded first, so 119.6 s reads 2m00s (rounding only the seconds printed 1m60s)
  const whole = Math.round(s)
  return whole >= 3600
    ? `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`
}

/**
 * Lines that are printed whatever the terminal: epochs, evaluations, checkpoints, the end.
 *
 * @example
 * events.subscribe(e => { const l = milestoneLine(e); if (l) console.error(l) })
 */
export const milestoneLine = (e: TrainEvent): string | undefined => {
  switch (e.type) {
    case 'start':
      return `training ${e.parameters.toLocaleString('en-US')} parameters on ${e.examples} examples: ${e.totalSteps} steps (${e.stepsPerEpoch} per epoch, batch ${e.batchSize}) from step ${e.step}, backend ${e.backend}`
    case 'epoch':
      return `epoch ${e.epoch + 1}: train loss ${e.loss.toFixed(4)}, top-1 ${(100 * e.top1).toFixed(2)}%, ${e.seconds.toFixed(1)} s, RSS ${e.rssMiB} MiB, kernels compiled ${e.compiled}`
    case 'eval':
      return `  held-out (${e.examples}): top-1 ${(100 * e.top1).toFixed(2)}%, top-5 ${(100 * e.top5).toFixed(2)}%, loss ${e.loss.toFixed(4)}`
    case 'activations':
      return `  watched at step ${e.step}: ${e.layers.slice(0, 4).map(l => `${l.layer} zeros ${(100 * l.zeros).toFixed(1)}% (dead channels ${(100 * l.deadChannels).toFixed(0)}%), std ${l.std.toPrecision(3)}${l.gradNorm === null ? '' : `, grad ${l.gradNorm.toPrecision(3)}`}`).join('; ')}${e.layers.length > 4 ? `; ${e.layers.length - 4} more in events.ndjson` : ''}`
    case 'checkpoint':
      return `  checkpoint ${e.path} (step ${e.step})`
    case 'done':
      return `done (${e.reason}) at step ${e.step} in ${formatSeconds(e.seconds)}: held-out top-1 ${e.top1 === null ? 'n/a' : `${(100 * e.top1).toFixed(2)}%`}, top-5 ${e.top5 === null ? 'n/a' : `${(100 * e.top5).toFixed(2)}%`}`
    default:
      return undefined
  }
}
