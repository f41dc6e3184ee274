import { existsSync, readFileSync, readdirSync } from 'fs'
import * as path from 'path'
import { isLeft } from 'fp-ts/Either'
import * as t from 'io-ts'
import { writeTextAtomic } from '../lib/io'
import { Series, escapeHtml, lineChart } from '../lib/train'
import { ConfigError } from './config'
import { memberFolder, runFinished } from './sweep'

/** One epoch of a member, from its summary.csv (timm's columns; top-1 in percent, as timm writes it). */
export interface EpochRow {
  readonly epoch: number
  readonly train_loss: number
  readonly eval_loss?: number
  readonly eval_top1?: number
  readonly eval_top5?: number
  readonly lr: number
}

/** A member as the sweep report shows it. */
export interface MemberReport {
  readonly index: number
  readonly folder: string
  /** The options in which the members differ, this member's values. */
  readonly differs: Readonly<Record<string, unknown>>
  readonly epochs: number
  readonly finalTop1: number | null
  readonly bestTop1: number | null
  readonly bestEpoch: number | null
  readonly curve: readonly EpochRow[]
}

/** What `sweep --merge` writes as report.json (and shows in report.html). */
export interface SweepReport {
  readonly members: readonly MemberReport[]
  /** The option names that differ between members. */
  readonly differing: readonly string[]
  /** The options every member shares. */
  readonly shared: Readonly<Record<string, unknown>>
}

/**
 * A summary.csv's rows, one per epoch: a row written again for the same epoch (a member killed
 * after its row and before its checkpoint, then resumed) replaces the earlier one.
 */
export const readSummary = (file: string): EpochRow[] => {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const columns = (head ?? '').split(',')
  if (!columns.includes('epoch') || !columns.includes('train_loss')) throw new ConfigError(`sweep --merge: ${file}: expected timm's summary.csv columns (epoch, train_loss, ...), got '${head}'`)
  const byEpoch = new Map<number, EpochRow>()
  for (const line of lines) {
    const values = line.split(',').map(Number)
    const row = Object.fromEntries(columns.map((c, i) => [c, values[i]])) as unknown as EpochRow
    if (!Number.isInteger(row.epoch)) throw new ConfigError(`sweep --merge: ${file}: a row without an epoch: '${line}'`)
    byEpoch.set(row.epoch, row)
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
}

const Manifest = t.type({ members: t.array(t.UnknownRecord) }, 'a sweep.json written by rxception sweep (members: [options])')

/** A JSON file decoded with a codec; unreadable or unexpected content is one line naming the file. */
const readJson = <A>(file: string, codec: t.Decoder<unknown, A>): A => {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ConfigError(`sweep --merge: ${file}: ${(e as Error).message.split('\n')[0]}`)
  }
  const r = codec.decode(json)
  if (isLeft(r)) throw new ConfigError(`sweep --merge: ${file}: expected ${codec.name}`)
  return r.right
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Merges a sweep's members into its report: every member of DIR/sweep.json must have finished
 * (trained to its end: runFinished; its summary.csv written) and be the member the manifest lists (its
 * config.json holds the manifest's options), and no member folder may be there that the manifest
 * does not list; otherwise the merge refuses, naming the member folders. Writes DIR/report.json and
 * DIR/report.html (whole or not at all) and returns the report.
 *
 * @example
 * const r = mergeSweep('output/sweep/lr')
 * r.members.map(m => m.finalTop1) // [97.9, 96.2, ...]
 */
export const mergeSweep = (dir: string): SweepReport => {
  const manifestFile = path.join(dir, 'sweep.json')
  if (!existsSync(manifestFile)) throw new ConfigError(`sweep --merge: ${dir}: no sweep.json (not a sweep's folder, or no member has started)`)
  const manifest = readJson(manifestFile, Manifest)
  const count = manifest.members.length
  const listed = new Set(manifest.members.map((_, i) => path.basename(memberFolder(dir, i))))
  const strays = readdirSync(dir).filter(f => /^member-\d+$/.test(f) && !listed.has(f))
  if (strays.length) throw new ConfigError(`sweep --merge: ${dir}: ${strays.join(', ')} not in sweep.json (${count} members): another sweep's output?`)
  const unfinished = manifest.members.map((_, i) => memberFolder(dir, i)).filter(m => !runFinished(m) || !existsSync(path.join(m, 'summary.csv')))
  if (unfinished.length) throw new ConfigError(`sweep --merge: ${unfinished.length} of ${count} members not finished (trained to their end): ${unfinished.join(', ')}`)
  const foreign = manifest.members.map((options, i) => ({ options, folder: memberFolder(dir, i) })).filter(({ options, folder }) => {
    const config = readJson(path.join(folder, 'config.json'), t.UnknownRecord)
    return Object.entries(options).some(([k, v]) => !sameValue(config[k], v))
  })
  if (foreign.length) throw new ConfigError(`sweep --merge: ${foreign.map(f => f.folder).join(', ')}: trained with other options than sweep.json lists for ${foreign.length > 1 ? 'them' : 'it'}`)
  const keys = [...new Set(manifest.members.flatMap(m => Object.keys(m)))]
  const differing = keys.filter(k => manifest.members.some(m => !sameValue(m[k], manifest.members[0]![k])))
  const shared = Object.fromEntries(keys.filter(k => !differing.includes(k)).map(k => [k, manifest.members[0]![k]]))
  const members = manifest.members.map((options, index): MemberReport => {
    const folder = memberFolder(dir, index)
    const curve = readSummary(path.join(folder, 'summary.csv'))
    const scored = curve.filter(r => r.eval_top1 !== undefined && Number.isFinite(r.eval_top1))
    const best = scored.reduce<EpochRow | null>((b, r) => (b === null || r.eval_top1! > b.eval_top1! ? r : b), null)
    return {
      index, folder: path.basename(folder), differs: Object.fromEntries(differing.map(k => [k, options[k] ?? null])), epochs: curve.length,
      finalTop1: scored.length ? scored[scored.length - 1]!.eval_top1! : null, bestTop1: best?.eval_top1 ?? null, bestEpoch: best?.epoch ?? null, curve,
    }
  })
  const report: SweepReport = { members, differing, shared }
  writeTextAtomic(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
  writeTextAtomic(path.join(dir, 'report.html'), sweepReportHtml(report))
  return report
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']

/**
 * The sweep's page: a table of the members (the options that differ, final and best held-out top-1)
 * and their curves side by side, one colour a member; self-contained like a run's report.html.
 */
export const sweepReportHtml = (r: SweepReport): string => {
  const label = (m: MemberReport) => `${m.index}: ${Object.entries(m.differs).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') || m.folder}`
  const series = (pick: (row: EpochRow) => number | undefined): Series[] =>
    r.members.map((m, i) => ({ name: label(m), color: COLORS[i % COLORS.length]!, points: m.curve.map(row => [row.epoch + 1, pick(row) ?? NaN] as [number, number]) }))
  const pct = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(2)}%`)
  const rows = r.members.map(m => `<tr><td>${m.index}</td><td><a href="${m.folder}/report.html">${m.folder}</a></td>${r.differing.map(k => `<td>${escapeHtml(JSON.stringify(m.differs[k]))}</td>`).join('')}<td>${m.epochs}</td><td>${pct(m.finalTop1)}</td><td>${pct(m.bestTop1)}${m.bestEpoch === null ? '' : ` (epoch ${m.bestEpoch + 1})`}</td></tr>`).join('')
  const width = 440
  return `<!doctype html><html><head><meta charset="utf-8"><title>rxception sweep report</title>
<style>body{font-family:sans-serif;max-width:1400px;margin:1em auto}figure{display:inline-block;margin:0 1em 1em 0}td,th{padding:2px 8px;text-align:right}pre{background:#f4f4f4;padding:8px}</style></head><body>
<h1>rxception sweep report</h1>
<p>${r.members.length} members; they differ in ${r.differing.length ? r.differing.map(k => `<code>${escapeHtml(k)}</code>`).join(', ') : 'nothing'}.</p>
<table><tr><th>member</th><th>folder</th>${r.differing.map(k => `<th>${escapeHtml(k)}</th>`).join('')}<th>epochs</th><th>final top-1</th><th>best top-1</th></tr>${rows}</table>
${lineChart('held-out top-1 (%)', series(row => row.eval_top1), { width, xLabel: 'epoch', yLabel: 'top-1 %' })}
${lineChart('held-out loss', series(row => row.eval_loss), { width, xLabel: 'epoch', yLabel: 'cross-entropy' })}
${lineChart('train loss', series(row => row.train_loss), { width, xLabel: 'epoch', yLabel: 'cross-entropy' })}
<h2>Options every member shares</h2><pre>${escapeHtml(JSON.stringify(r.shared, null, 2))}</pre></body></html>`
}
