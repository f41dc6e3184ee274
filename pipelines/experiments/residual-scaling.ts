import { heatMap, lineChart } from '../../lib/train'
import { ARM_COLOURS, ArmRun, Experiment, ExperimentSize, armsOf, pct, spread } from './experiment'

/** The layer before the average pooling, whose death the paper reports, and when a layer counts as dead. */
const LAST = 'conv2d_7b'
const DEAD = 0.99

const SIZES: Record<ExperimentSize, { width: number; repeats: [number, number, number]; epochs: number; trainSubset: number | null; batchSize: number; logInterval: number; seeds: number[] }> = {
  tiny: { width: 0.125, repeats: [1, 1, 2], epochs: 1, trainSubset: 64, batchSize: 16, logInterval: 2, seeds: [1] },
  quick: { width: 0.5, repeats: [1, 1, 2], epochs: 1, trainSubset: 3200, batchSize: 32, logInterval: 10, seeds: [1] },
  full: { width: 0.5, repeats: [1, 1, 2], epochs: 5, trainSubset: null, batchSize: 32, logInterval: 25, seeds: [1] },
}

/**
 * From which watched step on the layer before the pooling output only zeros (and never recovered):
 * null when it did not die.
 *
 * @example
 * diedAt(run) // 1450, or null
 */
export const diedAt = (run: ArmRun): number | null => {
  const z = run.activations.map(a => [a.step, a.layers.find(l => l.layer === LAST)?.zeros ?? 0] as const)
  let from: number | null = null
  for (const [step, zeros] of z) from = zeros >= DEAD ? (from ?? step) : null
  return from
}

const lastZeros = (run: ArmRun) => run.activations.at(-1)?.layers.find(l => l.layer === LAST)?.zeros ?? NaN
const maxZeros = (run: ArmRun) => Math.max(...run.activations.map(a => a.layers.find(l => l.layer === LAST)?.zeros ?? 0))

/**
 * The paper's residual-scaling finding (section 3.3): Inception-ResNet variants with more than
 * about 1,000 filters died early in training (the layer before the average pooling output only
 * zeros) unless the residuals were scaled by 0.1-0.3; a lower learning rate or an extra batch norm
 * did not prevent it. Here: Inception-ResNet-v2 at width 1/2 (its C blocks 1,040 filters wide) on
 * the bundled digits at 28×28, the paper's recipe, the same data and seeds in every arm, the
 * fraction of exact zeros in conv2d_7b (and the C blocks) watched through training.
 */
export const residualScaling: Experiment = {
  name: 'residual-scaling',
  title: 'Residual scaling: do unscaled wide Inception-ResNets die?',
  claim: 'With more than about 1,000 filters, residual Inception variants without scaling "died" early in training (the last layer before the average pooling produced only zeros); a lower learning rate or an extra batch norm did not prevent it; scaling the residuals by 0.1-0.3 before the addition did.',
  plan(size) {
    const s = SIZES[size]
    return {
      base: {
        model: 'inception-resnet-v2', width: s.width, repeats: s.repeats, sameStride2: true, imgSize: 28, inChans: 1, data: 'mnist',
        epochs: s.epochs, batchSize: s.batchSize, trainSubset: s.trainSubset, logInterval: s.logInterval, watch: `repeat_2.*,block8,${LAST}`,
      },
      arms: [
        { arm: 'unscaled (1.0)', options: { residualScale: 1 } },
        { arm: 'scale 0.3', options: { residualScale: 0.3 } },
        { arm: 'scale 0.1', options: { residualScale: 0.1 } },
        { arm: 'unscaled, lr ÷10', options: { residualScale: 1, lr: 0.0045 } },
        { arm: 'unscaled, extra batch norm', options: { residualScale: 1, poolNorm: true } },
      ],
      seeds: s.seeds,
    }
  },
  verdict(runs) {
    const lines: string[] = []
    const steps = Math.max(...runs.map(r => r.losses.at(-1)?.[0] ?? 0))
    for (const arm of armsOf(runs)) {
      const mine = runs.filter(r => r.arm === arm)
      const died = mine.map(diedAt)
      const top1 = mine.flatMap(r => (r.finalTop1 === null ? [] : [r.finalTop1]))
      const acc = top1.length ? `; held-out top-1 at the end ${pct(spread(top1).mean)}${top1.length > 1 ? ` (${pct(spread(top1).min)}-${pct(spread(top1).max)} over ${top1.length} seeds)` : ''}` : ''
      const state = died.every(d => d === null)
        ? `${LAST} never died: at most ${pct(Math.max(...mine.map(maxZeros)))} of its outputs were zero, ${pct(spread(mine.map(lastZeros)).mean)} at the last watched step`
        : `${LAST} died (only zeros from then on) at step ${died.map(d => d ?? 'never').join(', ')}`
      lines.push(`${arm}: ${state}${acc}.`)
    }
    const dead = (pred: (r: ArmRun) => boolean) => runs.filter(pred).some(r => diedAt(r) !== null)
    const scaled = (r: ArmRun) => r.options.residualScale !== 1
    if (!dead(r => !scaled(r))) lines.push(`Not reproduced at this scale: no unscaled arm died in ${steps} steps (the paper saw it after tens of thousands of iterations of networks trained on ImageNet).`)
    else if (dead(scaled)) lines.push('Scaling did not prevent the death here: a scaled arm died too.')
    else lines.push('Reproduced: without scaling the network died; scaled by 0.1 or 0.3 it did not.')
    return lines
  },
  figures(runs) {
    const arms = armsOf(runs)
    const colour = (r: ArmRun) => ARM_COLOURS[arms.indexOf(r.arm) % ARM_COLOURS.length]!
    const label = (r: ArmRun) => `${r.arm}${runs.filter(x => x.arm === r.arm).length > 1 ? `, seed ${r.seed}` : ''}`
    const zeros = runs.map(r => ({ name: label(r), color: colour(r), dashed: r.seed !== runs.find(x => x.arm === r.arm)!.seed, points: r.activations.map(a => [a.step, 100 * (a.layers.find(l => l.layer === LAST)?.zeros ?? NaN)] as [number, number]) }))
    // the per-step loss, averaged over windows so five arms stay readable
    const smooth = (xs: readonly [number, number][], k = Math.max(1, Math.round(xs.length / 60))) => xs.filter((_, i) => i % k === k - 1).map((p, j) => [p[0], xs.slice(j * k, j * k + k).reduce((a, q) => a + q[1], 0) / k] as [number, number])
    const losses = runs.map(r => ({ name: label(r), color: colour(r), points: smooth(r.losses) }))
    const heldOut = runs.map(r => ({ name: label(r), color: colour(r), points: r.evals.map(e => [e.step, 100 * e.top1] as [number, number]) }))
    const maps = runs.map(r => {
      const layers = [...new Set(r.activations.flatMap(a => a.layers.map(l => l.layer)))]
      return heatMap(`${label(r)}: fraction of zero outputs by layer and step`, layers, r.activations.map(a => a.step), layers.map(l => r.activations.map(a => a.layers.find(x => x.layer === l)?.zeros ?? null)), { width: 560 })
    })
    return `${lineChart(`zero outputs of ${LAST} (the layer before the average pooling), %`, zeros, { width: 1120, yLabel: '% zero' })}
${lineChart('train loss (window means)', losses, { yLabel: 'cross-entropy' })}
${lineChart('held-out top-1 (%)', heldOut, { yLabel: 'top-1 %' })}
<h2>Watched layers, arm by arm</h2>${maps.join('\n')}`
  },
}
