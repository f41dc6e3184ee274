import { Layer, SummaryRow, countSpec } from '../lib/nn'
import { Shape, shapeToString } from '../lib/tensor'

/**
 * A Keras-style layer table from a layer's spec: path, kind, output shape, parameters and
 * multiply-accumulates, then the totals. Nothing is allocated. `depth` groups rows by their first
 * `depth` path segments (features.6 instead of every conv inside it).
 */
export const summarize = (layer: Layer, input: Shape, depth = Infinity): string => {
  const spec = layer.spec(input)
  const rows = depth === Infinity ? spec.rows : group(spec.rows, depth)
  const fmt = (n: number) => n.toLocaleString('en-US')
  const table = [
    ['layer', 'kind', 'output', 'params', 'MACs'],
    ...rows.map(r => [r.path || '(root)', r.kind, shapeToString(r.outputShape), fmt(r.params), fmt(r.macs)]),
  ]
  const widths = table[0]!.map((_, i) => Math.max(...table.map(row => row[i]!.length)))
  const line = (row: string[]) => row.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  const params = countSpec(spec.params)
  const state = countSpec(spec.state)
  const macs = spec.rows.reduce((a, r) => a + r.macs, 0)
  return [
    line(table[0]!),
    '-'.repeat(widths.reduce((a, b) => a + b + 2, -2)),
    ...table.slice(1).map(line),
    '',
    `input ${shapeToString(input)} → output ${shapeToString(spec.outputShape)}`,
    `trainable parameters: ${fmt(params)}`,
    `batch-norm statistics: ${fmt(state)} (total ${fmt(params + state)})`,
    `multiply-accumulates: ${fmt(macs)} (${(macs / 1e9).toFixed(3)} G per batch of ${input[0]})`,
  ].join('\n')
}

const group = (rows: readonly SummaryRow[], depth: number): SummaryRow[] => {
  const out: SummaryRow[] = []
  for (const r of rows) {
    const key = r.path.split('.').slice(0, depth).join('.')
    const last = out[out.length - 1]
    if (last && key !== '' && last.path === key) {
      out[out.length - 1] = { ...last, kind: 'block', outputShape: r.outputShape, params: last.params + r.params, state: last.state + r.state, macs: last.macs + r.macs }
    } else out.push({ ...r, path: key })
  }
  return out
}
