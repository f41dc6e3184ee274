import { TrainEvent } from './state'

/**
 * The run's report: one self-contained HTML page (inline SVG, no scripts, no network) with the
 * loss, accuracy and learning-rate curves, throughput, final metrics and the configuration.
 *
 * @example
 * const s: Series = { name: 'loss', color: '#1f77b4', points: [[1, 2.3], [2, 1.9]] }
 */
export type Series = { name: string; color: string; points: [number, number][] }

/**
 * Text for HTML: &, <, > and " escaped.
 *
 * @example
 * escapeHtml('a < b') // 'a &lt; b'
 */
export const escapeHtml = (s: string) => s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/**
 * An inline SVG line chart with axes and a legend.
 *
 * @example
 * lineChart('loss', [{ name: 'train', color: '#1f77b4', points: [[0, 2.3], [100, 0.4]] }])
 */
export const lineChart = (title: string, series: readonly Series[], w = 560, h = 220, xLabel = 'step'): string => {
  const all = series.flatMap(s => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  if (all.length === 0) return `<figure><figcaption>${escapeHtml(title)}</figcaption><p>no data yet</p></figure>`
  const [x0, x1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))]
  const [y0, y1] = [Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[1]))]
  const m = 40
  const sx = (x: number) => m + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * m)
  const sy = (y: number) => h - m + (-(y - y0) / (y1 - y0 || 1)) * (h - 2 * m)
  const lines = series.map(s => `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`).join('')
  const legend = series.map((s, i) => `<text x="${m + i * 150}" y="14" fill="${s.color}" font-size="12">${escapeHtml(s.name)}</text>`).join('')
  const axes = `<line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="#888"/><line x1="${m}" y1="${m}" x2="${m}" y2="${h - m}" stroke="#888"/>` +
    `<text x="2" y="${m + 4}" font-size="10">${y1.toPrecision(3)}</text><text x="2" y="${h - m}" font-size="10">${y0.toPrecision(3)}</text>` +
    `<text x="${m}" y="${h - m + 14}" font-size="10">${x0}</text><text x="${w - m - 20}" y="${h - m + 14}" font-size="10">${escapeHtml(xLabel)} ${x1}</text>`
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(title)}">${axes}${lines}${legend}</svg></figure>`
}

/**
 * The run's report page from its events so far.
 *
 * @example
 * writeFileSync('report.html', reportHtml(events, config))
 */
export const reportHtml = (events: readonly TrainEvent[], config: unknown): string => {
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
<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto}figure{display:inline-block;margin:0 1em 1em 0}td,th{padding:2px 8px;text-align:right}pre{background:#f4f4f4;padding:8px}</style></head><body>
<h1>rxception training report</h1>
<p>${done ? `${done.reason === 'finished' ? 'Finished' : 'Stopped (interrupted)'} at step ${done.step}: held-out top-1 <b>${pct(done.top1)}</b>, top-5 ${pct(done.top5)}, ${done.seconds.toFixed(0)} s.` : `In progress: step ${steps[steps.length - 1]?.step ?? 0}${last ? `, last held-out top-1 ${pct(last.top1)}` : ''}.`}
 Mean throughput ${Number.isFinite(ips) ? ips.toFixed(1) : 'n/a'} images/s.</p>
${lineChart('loss', [{ name: 'train loss (per step)', color: '#1f77b4', points: thin(steps).map(e => [e.step, e.loss]) }, { name: 'held-out loss', color: '#d62728', points: evals.map(e => [e.step, e.loss]) }])}
${lineChart('top-1 accuracy', [{ name: 'train (per epoch)', color: '#1f77b4', points: epochs.map(e => [e.step, e.top1]) }, { name: 'held-out', color: '#d62728', points: evals.map(e => [e.step, e.top1]) }])}
${lineChart('learning rate', [{ name: 'lr', color: '#2ca02c', points: thin(steps).map(e => [e.step, e.lr]) }])}
${lineChart('throughput (images/s)', [{ name: 'images/s', color: '#9467bd', points: thin(steps).map(e => [e.step, e.imagesPerSecond]) }])}
<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train top-1</th><th>held-out top-1</th><th>held-out top-5</th><th>seconds</th><th>RSS MiB</th><th>kernels</th></tr>${rows}</table>
<h2>Configuration</h2><pre>${escapeHtml(JSON.stringify(config, null, 2))}</pre></body></html>`
}
