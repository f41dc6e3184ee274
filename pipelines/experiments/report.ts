import { cpus, loadavg, totalmem } from 'os'
import { escapeHtml, optionsTable } from '../../lib/train'
import { DEFAULT_CONFIG } from '../config'
import { ArmRun, Experiment, ExperimentPlan, ExperimentSize, pct } from './experiment'

/**
 * An experiment's report page: the claim and the verdict first (visible without scrolling), then
 * the experiment's figures (arms on shared axes), the runs (arm, seed, what the arm sets, final
 * held-out top-1, steps, seconds), the options every arm shares (what differs from train's
 * defaults) and the machine it ran on.
 *
 * @example
 * writeFileSync('report.html', experimentReportHtml(e, 'quick', e.plan('quick'), runs, e.verdict(runs)))
 */
export const experimentReportHtml = (e: Experiment, size: ExperimentSize, plan: ExperimentPlan, runs: readonly ArmRun[], verdict: readonly string[]): string => {
  const value = (v: unknown) => escapeHtml(JSON.stringify(v))
  const rows = runs.map(r => `<tr><td style="text-align:left">${escapeHtml(r.arm)}</td><td>${r.seed}</td><td style="text-align:left">${Object.entries(r.options).map(([k, v]) => `${escapeHtml(k)}=${value(v)}`).join(' ')}</td><td>${r.finalTop1 === null ? 'n/a' : pct(r.finalTop1)}</td><td>${r.losses.at(-1)?.[0] ?? 0}</td><td>${Math.round(r.seconds)}</td><td style="text-align:left">${escapeHtml(r.folder)}</td></tr>`).join('')
  const cpu = cpus()
  const machine = `${cpu.length} × ${escapeHtml(cpu[0]?.model ?? 'unknown CPU')}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, backend ${escapeHtml(runs[0]?.backend ?? 'n/a')}; load average ${loadavg().map(l => l.toFixed(2)).join(' ')} when the report was written`
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(e.title)}</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-weight:bold;font-size:14px}td,th{padding:2px 8px;text-align:right}.verdict{background:#fffbe6;border:1px solid #e6d36b;padding:4px 16px;margin-bottom:1em}</style></head><body>
<h1>${escapeHtml(e.title)}</h1>
<p><b>The paper's claim</b> (Szegedy et al., 2017): ${escapeHtml(e.claim)}</p>
<div class="verdict"><h2>Verdict (computed from the runs' events; ${size} size)</h2><ul>${verdict.map(l => `<li>${escapeHtml(l)}</li>`).join('')}</ul></div>
${e.figures(runs)}
<h2>Runs</h2><table><tr><th style="text-align:left">arm</th><th>seed</th><th style="text-align:left">the arm's options</th><th>held-out top-1</th><th>steps</th><th>seconds</th><th style="text-align:left">folder</th></tr>${rows}</table>
<h2>Shared options</h2><p>Every arm trains with these (what differs from <code>rxception train</code>'s defaults; the rest, the paper's recipe, is the default: RMSProp decay 0.9, ε 1.0, learning rate 0.045 decayed ×0.94 every 2 epochs):</p>${optionsTable({ ...plan.base }, DEFAULT_CONFIG)}
<p>Seeds: ${plan.seeds.join(', ')}. Reproduce: <code>npx rxception experiment ${escapeHtml(e.name)}${size === 'full' ? '' : size === 'quick' ? ' --quick' : ' --size tiny'}</code></p>
<h2>Machine</h2><p>${machine}</p>
</body></html>`
}
