/**
 * Inline SVG charts for the reports (no scripts, no network): line charts with labelled, readable
 * axes and a heat map. Pure functions from data to markup.
 *
 * @example
 * const s: Series = { name: 'loss', color: '#1f77b4', points: [[1, 2.3], [2, 1.9]] }
 */
export type Series = { name: string; color: string; points: [number, number][]; dashed?: boolean }

/**
 * Text for HTML: &, <, > and " escaped.
 *
 * @example
 * escapeHtml('a < b') // 'a &lt; b'
 */
export const escapeHtml = (s: string) => s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/**
 * About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]; a
 * degenerate range (one value) is widened around it, so a constant series gets a usable axis.
 *
 * @example
 * niceTicks(0, 0.93, 5) // { lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] }
 * niceTicks(0.045, 0.045, 5) // a range around 0.045, not 0.045-0.045
 */
export const niceTicks = (lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: number[] } => {
  if (hi - lo <= Math.abs(hi) * 1e-9) {
    const pad = hi === 0 ? 1 : Math.abs(hi) * 0.1
    ;[lo, hi] = [lo - pad, hi + pad]
  }
  const raw = (hi - lo) / Math.max(1, count)
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map(f => f * power).find(s => s >= raw) ?? 10 * power
  const first = Math.floor(lo / step + 1e-9) * step
  const last = Math.ceil(hi / step - 1e-9) * step
  const ticks: number[] = []
  for (let v = first; v <= last + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)))
  return { lo: first, hi: last, ticks }
}

/**
 * A tick's text: few digits, exponent form for very small or large values.
 *
 * @example
 * tickLabel(0.045) // '0.045'; tickLabel(2e-5) // '2.0e-5'
 */
export const tickLabel = (v: number): string => {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1)
  return String(Number(v.toPrecision(4)))
}

/**
 * A line chart: ticks and grid on both axes, axis labels, a legend, and a dot at every point of a
 * series short enough to be read point by point (a one-value series is a dot, not nothing).
 *
 * @example
 * lineChart('loss', [{ name: 'train', color: '#1f77b4', points: [[0, 2.3], [100, 0.4]] }], { yLabel: 'cross-entropy' })
 */
export const lineChart = (title: string, series: readonly Series[], o: { width?: number; height?: number; xLabel?: string; yLabel?: string } = {}): string => {
  // the legend wraps (as many entries a row as fit) above the plot
  const w = o.width ?? 560
  // a series without a name (a second dashed bound, say) has no legend entry; entries are as wide as the longest name
  const named = series.filter(s => s.name)
  const entry = Math.max(120, 20 + 6.2 * Math.max(0, ...named.map(s => s.name.length)))
  const perRow = Math.max(1, Math.floor((w - 56) / entry))
  const legendRows = Math.max(1, Math.ceil(named.length / perRow))
  const h = (o.height ?? 240) + 13 * Math.max(0, legendRows - 1)
  const finite = (s: Series) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const all = series.flatMap(finite)
  if (all.length === 0) return `<figure><figcaption>${escapeHtml(title)}</figcaption><p>no data yet</p></figure>`
  const xs = niceTicks(Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0])), 6)
  const ys = niceTicks(Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[1])), 4)
  const [left, right, top, bottom] = [56, 12, 20 + 13 * legendRows, 40]
  const sx = (x: number) => left + ((x - xs.lo) / (xs.hi - xs.lo)) * (w - left - right)
  const sy = (y: number) => h - bottom - ((y - ys.lo) / (ys.hi - ys.lo)) * (h - top - bottom)
  const grid = [
    ...ys.ticks.map(v => `<line x1="${left}" y1="${sy(v).toFixed(1)}" x2="${w - right}" y2="${sy(v).toFixed(1)}" stroke="#e4e4e4"/><text x="${left - 4}" y="${(sy(v) + 3).toFixed(1)}" font-size="10" text-anchor="end">${tickLabel(v)}</text>`),
    ...xs.ticks.map(v => `<line x1="${sx(v).toFixed(1)}" y1="${h - bottom}" x2="${sx(v).toFixed(1)}" y2="${h - bottom + 4}" stroke="#888"/><text x="${sx(v).toFixed(1)}" y="${h - bottom + 15}" font-size="10" text-anchor="middle">${tickLabel(v)}</text>`),
  ].join('')
  const axes = `<line x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}" stroke="#888"/><line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="#888"/>` +
    `<text x="${(left + w - right) / 2}" y="${h - 6}" font-size="11" text-anchor="middle">${escapeHtml(o.xLabel ?? 'step')}</text>` +
    (o.yLabel ? `<text x="12" y="${(top + h - bottom) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${(top + h - bottom) / 2})">${escapeHtml(o.yLabel)}</text>` : '')
  const lines = series.map(s => {
    const pts = finite(s)
    const line = pts.length > 1 ? `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>` : ''
    const dots = pts.length <= 30 ? pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`).join('') : ''
    return line + dots
  }).join('')
  const legend = named.map((s, i) => `<text x="${(left + (i % perRow) * entry).toFixed(0)}" y="${12 + Math.floor(i / perRow) * 13}" fill="${s.color}" font-size="11">${s.dashed ? '- - ' : '— '}${escapeHtml(s.name)}</text>`).join('')
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(title)}">${grid}${axes}${lines}${legend}</svg></figure>`
}

/**
 * A heat map of values in [0, 1]: one row per name, one cell per column (white 0 to dark red 1),
 * column labels thinned to fit, a colour key.
 *
 * @example
 * heatMap('dead fraction', ['conv2d_7b'], [0, 50, 100], [[0.5, 0.6, 1]], { xLabel: 'step' })
 */
export const heatMap = (title: string, rows: readonly string[], columns: readonly number[], values: readonly (readonly (number | null)[])[], o: { xLabel?: string; width?: number } = {}): string => {
  if (rows.length === 0 || columns.length === 0) return `<figure><figcaption>${escapeHtml(title)}</figcaption><p>no data yet</p></figure>`
  const labelWidth = Math.min(220, 12 + 6.5 * Math.max(...rows.map(r => r.length)))
  const w = o.width ?? 560
  const cell = { w: (w - labelWidth - 10) / columns.length, h: 14 }
  const top = 8
  const h = top + rows.length * cell.h + 52
  const colour = (v: number | null) => v === null || !Number.isFinite(v) ? '#ddd' : `rgb(${255 - Math.round(100 * v)},${Math.round(255 * (1 - v))},${Math.round(255 * (1 - v))})`
  const cells = values.flatMap((row, r) => row.map((v, c) => `<rect x="${(labelWidth + c * cell.w).toFixed(1)}" y="${top + r * cell.h}" width="${(cell.w + 0.3).toFixed(1)}" height="${cell.h}" fill="${colour(v)}"><title>${escapeHtml(rows[r]!)} at ${columns[c]}: ${v === null ? 'n/a' : v.toFixed(3)}</title></rect>`)).join('')
  const names = rows.map((r, i) => `<text x="${labelWidth - 4}" y="${top + i * cell.h + 11}" font-size="10" text-anchor="end">${escapeHtml(r)}</text>`).join('')
  const every = Math.max(1, Math.ceil(columns.length / 8))
  const bottom = top + rows.length * cell.h
  const ticks = columns.map((c, i) => i % every === 0 ? `<text x="${(labelWidth + (i + 0.5) * cell.w).toFixed(1)}" y="${bottom + 13}" font-size="10" text-anchor="middle">${c}</text>` : '').join('')
  const key = [0, 0.25, 0.5, 0.75, 1].map((v, i) => `<rect x="${labelWidth + i * 40}" y="${bottom + 30}" width="40" height="10" fill="${colour(v)}" stroke="#ccc"/><text x="${labelWidth + i * 40 + 20}" y="${bottom + 50}" font-size="9" text-anchor="middle">${v}</text>`).join('')
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 10}" role="img" aria-label="${escapeHtml(title)}">${cells}${names}${ticks}<text x="${labelWidth - 4}" y="${bottom + 26}" font-size="10" text-anchor="end">${escapeHtml(o.xLabel ?? 'step')}</text>${key}</svg></figure>`
}
