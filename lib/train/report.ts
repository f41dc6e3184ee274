import { Series, escapeHtml, heatMap, lineChart } from './charts'
import { TrainEvent } from './state'

export * from './charts'

/**
 * The options of a run that differ from the defaults, as table rows (option, value, default).
 *
 * @example
 * optionsTable({ lr: 0.01, epochs: 10 }, { lr: 0.045, epochs: 10 }) // one row: lr
 */
export const optionsTable = (config: unknown, defaults: Readonly<Record<string, unknown>> | undefined): string => {
  if (typeof config !== 'object' || config === null) return ''
  const entries = Object.entries(config as Record<string, unknown>)
  const differing = defaults ? entries.filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(defaults[k])) : entries
  if (differing.length === 0) return '<p>Every option at its default.</p>'
  const value = (v: unknown) => escapeHtml(JSON.stringify(v) ?? 'undefined')
  return `<table><tr><th>option</th><th>value</th>${defaults ? '<th>default</th>' : ''}</tr>${differing.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${value(v)}</td>${defaults ? `<td>${value(defaults[k])}</td>` : ''}</tr>`).join('')}</table>`
}

/** The watched layers' dead fraction (exact zeros) by layer and step, from the activations events. */
const activityFigures = (events: readonly TrainEvent[]): string => {
  const watched = events.filter((e): e is Extract<TrainEvent, { type: 'activations' }> => e.type === 'activations')
  if (watched.length === 0) return ''
  const layers = [...new Set(watched.flatMap(e => e.layers.map(l => l.layer)))]
  const at = (e: (typeof watched)[number], layer: string) => e.layers.find(l => l.layer === layer)
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']
  const series = (f: (l: NonNullable<ReturnType<typeof at>>) => number | null): Series[] => layers.slice(0, 8).map((layer, i) => ({
    name: layer, color: colours[i]!, points: watched.flatMap(e => { const l = at(e, layer); const v = l ? f(l) : null; return v === null ? [] : [[e.step, v] as [number, number]] }),
  }))
  return `<h2>Watched layers</h2>
${heatMap('fraction of exact zeros in each watched layer\'s output', layers, watched.map(e => e.step), layers.map(layer => watched.map(e => at(e, layer)?.zeros ?? null)), { width: 1120 })}
${lineChart('output standard deviation', series(l => l.std), { yLabel: 'std' })}
${lineChart('gradient norm of the layer\'s parameters', series(l => l.gradNorm), { yLabel: 'L2 norm' })}`
}

/**
 * The run's report page from its events so far: curves, the epochs, the watched layers (when
 * --watch is on), and the configuration (what differs from `defaults` first, then all of it).
 *
 * @example
 * writeFileSync('report.html', reportHtml(events, config, DEFAULT_CONFIG))
 */
export const reportHtml = (events: readonly TrainEvent[], config: unknown, defaults?: Readonly<Record<string, unknown>>): string => {
  const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step')
  const evals = events.filter((e): e is Extract<TrainEvent, { type: 'eval' }> => e.type === 'eval')
  const epochs = events.filter((e): e is Extract<TrainEvent, { type: 'epoch' }> => e.type === 'epoch')
  const done = events.find((e): e is Extract<TrainEvent, { type: 'done' }> => e.type === 'done')
  const thin = <T,>(xs: readonly T[]) => xs.filter((_, i) => i % Math.max(1, Math.floor(xs.length / 400)) === 0)
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(2)}%`)
  const last = evals[evals.length - 1]
  const rows = epochs.map((e, i) => `<tr><td>${e.epoch + 1}</td><td>${e.loss.toFixed(4)}</td><td>${pct(e.top1)}</td><td>${pct(evals[i]?.top1)}</td><td>${pct(evals[i]?.top5)}</td><td>${e.seconds.toFixed(1)}</td><td>${e.rssMiB}</td><td>${e.compiled}</td></tr>`).join('')
  const ips = steps.length ? steps.reduce((a, e) => a + e.imagesPerSecond, 0) / steps.length : NaN
  return `<!doctype html><html><head><meta charset="utf-8"><title>rxception training report</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-weight:bold;font-size:14px}td,th{padding:2px 8px;text-align:right}pre{background:#f4f4f4;padding:8px}</style></head><body>
<h1>rxception training report</h1>
<p>${done ? `${done.reason === 'finished' ? 'Finished' : 'Stopped (interrupted)'} at step ${done.step}: held-out top-1 <b>${pct(done.top1)}</b>, top-5 ${pct(done.top5)}, ${done.seconds.toFixed(0)} s.` : `In progress: step ${steps[steps.length - 1]?.step ?? 0}${last ? `, last held-out top-1 ${pct(last.top1)}` : ''}.`}
 Mean throughput ${Number.isFinite(ips) ? ips.toFixed(1) : 'n/a'} images/s.</p>
${lineChart('loss', [{ name: 'train loss (per step)', color: '#1f77b4', points: thin(steps).map(e => [e.step, e.loss]) }, { name: 'held-out loss (per epoch)', color: '#d62728', points: evals.map(e => [e.step, e.loss]) }], { yLabel: 'cross-entropy' })}
${lineChart('top-1 accuracy (%)', [{ name: 'train (per epoch)', color: '#1f77b4', points: epochs.map(e => [e.step, 100 * e.top1]) }, { name: 'held-out (per epoch)', color: '#d62728', points: evals.map(e => [e.step, 100 * e.top1]) }], { yLabel: 'top-1 %' })}
${lineChart('learning rate', [{ name: 'lr', color: '#2ca02c', points: thin(steps).map(e => [e.step, e.lr]) }], { yLabel: 'lr' })}
${lineChart('throughput', [{ name: 'images/s', color: '#9467bd', points: thin(steps).map(e => [e.step, e.imagesPerSecond]) }], { yLabel: 'images/s' })}
${activityFigures(events)}
<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train top-1</th><th>held-out top-1</th><th>held-out top-5</th><th>seconds</th><th>RSS MiB</th><th>kernels</th></tr>${rows}</table>
<h2>Configuration</h2>${defaults ? '<p>What differs from the defaults:</p>' : ''}${optionsTable(config, defaults)}
<details><summary>every option</summary><pre>${escapeHtml(JSON.stringify(config, null, 2))}</pre></details></body></html>`
}
