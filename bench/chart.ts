import type { BenchRow } from './suite-types'

const COLOURS: Record<string, string> = { rxception: '#d9480f', 'tfjs-wasm': '#1971c2', 'tfjs-cpu': '#74c0fc', torch: '#2f9e44' }
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/**
 * A bar chart of images per second, one group per case and one bar per engine, on a log scale
 * (the engines differ by orders of magnitude). Rows without a timing show their error instead.
 *
 * @example
 * writeFileSync('run.svg', chartSvg(rows))
 */
export const chartSvg = (rows: readonly BenchRow[]): string => {
  const groups = [...new Set(rows.map(r => `${r.network} ${r.size}x${r.size}x${r.batch} ${r.pass}`))]
  const bar = 18
  const left = 330
  const width = 900
  const timed = rows.filter(r => r.imagesPerSecond !== null).map(r => r.imagesPerSecond!)
  const lo = Math.floor(Math.log10(Math.min(...timed, 1)))
  const hi = Math.ceil(Math.log10(Math.max(...timed, 1)))
  const x = (v: number) => left + ((Math.log10(v) - lo) / Math.max(hi - lo, 1)) * (width - left - 40)
  const lines: string[] = []
  let y = 40
  for (const g of groups) {
    lines.push(`<text x="10" y="${y + 12}" font-weight="bold">${escape(g)}</text>`)
    y += 20
    for (const r of rows.filter(o => `${o.network} ${o.size}x${o.size}x${o.batch} ${o.pass}` === g)) {
      const name = r.engine === 'rxception' ? `rxception ${r.backend}` : r.engine
      lines.push(`<text x="20" y="${y + 13}">${escape(name)}</text>`)
      if (r.imagesPerSecond === null) {
        lines.push(`<text x="${left}" y="${y + 13}" fill="#868e96">${escape((r.error ?? 'no result').slice(0, 90))}</text>`)
      } else {
        lines.push(`<rect x="${left}" y="${y}" width="${Math.max(2, x(r.imagesPerSecond) - left).toFixed(1)}" height="${bar - 4}" fill="${COLOURS[r.engine] ?? '#495057'}"/>`)
        lines.push(`<text x="${(x(r.imagesPerSecond) + 6).toFixed(1)}" y="${y + 13}">${r.imagesPerSecond.toPrecision(3)}</text>`)
      }
      y += bar
    }
    y += 10
  }
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).map(e =>
    `<line x1="${x(10 ** e)}" y1="30" x2="${x(10 ** e)}" y2="${y}" stroke="#dee2e6"/><text x="${x(10 ** e) - 10}" y="24" fill="#868e96">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="14" font-weight="bold">images per second (log scale; longer is faster)</text>
${ticks.join('\n')}
${lines.join('\n')}
</svg>
`
}
