import { Series, lineChart } from '../../lib/train'
import { ARM_COLOURS, ArmRun, Experiment, ExperimentSize, armsOf, pct, spread } from './experiment'

const SIZES: Record<ExperimentSize, { width: number; repeats: [number, number, number]; epochs: number; trainSubset: number | null; seeds: number[] }> = {
  tiny: { width: 0.125, repeats: [1, 1, 1], epochs: 2, trainSubset: 64, seeds: [1] },
  quick: { width: 0.125, repeats: [1, 1, 1], epochs: 4, trainSubset: 4800, seeds: [1, 2] },
  full: { width: 0.25, repeats: [2, 2, 2], epochs: 10, trainSubset: null, seeds: [1, 2] },
}

/** Each arm's held-out error after each epoch, the mean over its seeds (epochs every seed reached), with the training seconds. */
export const errorCurve = (runs: readonly ArmRun[], arm: string) => {
  const mine = runs.filter(r => r.arm === arm)
  const epochs = Math.min(...mine.map(r => r.evals.length))
  return Array.from({ length: epochs }, (_, k) => {
    const errors = mine.map(r => 1 - r.evals[k]!.top1)
    return { epoch: k + 1, ...spread(errors), seconds: spread(mine.map(r => r.evals[k]!.seconds)).mean }
  })
}

/**
 * The paper's training-speed finding: residual connections make Inception train faster —
 * Inception-ResNet-v2 reaches a given error in fewer epochs than Inception-v4 of similar cost.
 * Here both at the same width, block counts and input size (the hard digits at 28×28: warped,
 * barred and noisy, so that the two do not both sit at 99%), the paper's recipe, the same data and
 * seeds; held-out error after every epoch, against epochs and against training time.
 */
export const residualSpeed: Experiment = {
  name: 'residual-speed',
  title: 'Residual connections and training speed: Inception-ResNet-v2 against Inception-v4',
  claim: 'Residual connections speed up training: Inception-ResNet-v2 reaches a given error in fewer epochs than Inception-v4 of similar cost.',
  plan(size) {
    const s = SIZES[size]
    const shape = { width: s.width, repeats: s.repeats, sameStride2: true, imgSize: 28, inChans: 1 }
    return {
      base: { data: 'digits-hard', epochs: s.epochs, trainSubset: s.trainSubset, batchSize: 32 },
      arms: [
        { arm: 'Inception-v4', options: { model: 'inception-v4', ...shape } },
        { arm: 'Inception-ResNet-v2', options: { model: 'inception-resnet-v2', ...shape } },
      ],
      seeds: s.seeds,
    }
  },
  verdict(runs) {
    const [plain, residual] = armsOf(runs) as [string, string]
    const curves = { [plain]: errorCurve(runs, plain), [residual]: errorCurve(runs, residual) }
    // the error both arms reach: the worse of the two arms' best (mean) errors
    const target = Math.max(...Object.values(curves).map(c => Math.min(...c.map(p => p.mean))))
    const reach = (arm: string) => curves[arm]!.find(p => p.mean <= target + 1e-12)!
    const [a, b] = [reach(plain), reach(residual)]
    const seeds = runs.filter(r => r.arm === plain).length
    const lines = [plain, residual].map(arm => {
      const c = curves[arm]!
      const last = c.at(-1)!
      return `${arm}: held-out error ${pct(last.mean)}${seeds > 1 ? ` (${pct(last.min)}-${pct(last.max)} over ${seeds} seeds)` : ''} after ${last.epoch} epochs, best ${pct(Math.min(...c.map(p => p.mean)))}; ${Math.round(last.seconds)} s of training.`
    })
    lines.push(`Both reach ${pct(target)} held-out error: ${residual} at epoch ${b.epoch} (${Math.round(b.seconds)} s), ${plain} at epoch ${a.epoch} (${Math.round(a.seconds)} s).`)
    lines.push(b.epoch < a.epoch ? `Reproduced at this scale: ${residual} got there ${a.epoch - b.epoch} epoch${a.epoch - b.epoch > 1 ? 's' : ''} sooner.`
      : b.epoch === a.epoch ? `Not separated at this scale: both got there in the same epoch.`
      : `Not reproduced at this scale: ${plain} got there ${b.epoch - a.epoch} epoch${b.epoch - a.epoch > 1 ? 's' : ''} sooner.`)
    return lines
  },
  figures(runs) {
    const arms = armsOf(runs)
    const curve = (x: 'epoch' | 'seconds'): Series[] => arms.flatMap((arm, i) => {
      const c = errorCurve(runs, arm)
      const colour = ARM_COLOURS[i % ARM_COLOURS.length]!
      const seeds = runs.filter(r => r.arm === arm).length
      const point = (p: (typeof c)[number], v: number) => [x === 'epoch' ? p.epoch : p.seconds, 100 * v] as [number, number]
      return [
        { name: `${arm} (mean of ${seeds})`, color: colour, points: c.map(p => point(p, p.mean)) },
        ...(seeds > 1 ? [{ name: `${arm}: best and worst seed`, color: colour, dashed: true, points: c.map(p => point(p, p.min)) }, { name: '', color: colour, dashed: true, points: c.map(p => point(p, p.max)) }] : []),
      ]
    })
    return `${lineChart('held-out error (%) against epochs', curve('epoch'), { xLabel: 'epoch', yLabel: 'error %' })}
${lineChart('held-out error (%) against training time', curve('seconds'), { xLabel: 'seconds of training', yLabel: 'error %' })}`
  },
}
