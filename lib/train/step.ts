import { Backend } from '../backend'
import { markPhase } from '../backend/kernel-trace'
import { Batch } from '../data/batches'
import { Inspector, Layer } from '../nn'
import { softmaxCrossEntropy } from '../ops'
import { FusableTransform, optimizerStep } from '../optim'
import { Schedule } from '../schedule'
import { Tensor, foldIn } from '../tensor'
import { allFinite, firstNonFinite, NonFiniteError } from './nonfinite'
import { TrainState } from './state'
import { LayerActivity, Watch, layerMonitor } from './watch'

/**
 * What one optimisation step needs besides the state and the batch.
 *
 * @example
 * const step = trainStep({ net, optimizer: rmsproptf(), schedule: constant(0.045), classes: 10, smoothing: 0.1, backend })
 */
export interface StepSetup {
  readonly net: Layer
  /** A preset (rmsproptf, rmsprop, sgd) runs fused, one kernel per tensor; any other Transform as its chain. */
  readonly optimizer: FusableTransform
  readonly schedule: Schedule
  readonly classes: number
  /** Label smoothing ε (TF-slim's label_smoothing, timm's --smoothing). */
  readonly smoothing: number
  /** Weight of the auxiliary head's loss when the network has one (TF-slim: 0.4); its logits follow the main ones. */
  readonly auxWeight?: number
  readonly backend: Backend
  /** Layers to monitor every `every` steps (lib/train/watch.ts); off when absent or without patterns. */
  readonly watch?: Watch
}

/**
 * One step's outcome: the next state, the batch loss and top-1, the learning rate used.
 *
 * @example
 * const { state, loss, top1, lr }: StepResult = await step(state0, batch)
 */
export interface StepResult {
  readonly state: TrainState
  readonly loss: number
  /** Fraction of the batch whose largest main logit is the label. */
  readonly top1: number
  readonly lr: number
  /** The watched layers' statistics, at a watched step (before this step's update). */
  readonly activity?: readonly LayerActivity[]
}

/** Columns [from, from + k) of an [n, width] matrix. */
const columns = (m: Tensor, from: number, k: number): Tensor => {
  const [n, width] = m.shape as [number, number]
  const out = new Float32Array(n * k)
  for (let r = 0; r < n; r++) out.set(m.data.subarray(r * width + from, r * width + from + k), r * k)
  return Tensor.adopt([n, k], out)
}

/**
 * Fraction of rows whose arg-max is the label (the first maximum on ties).
 *
 * @example
 * top1Of(logits, [3, 1, 4]) // fraction in [0, 1]
 */
export const top1Of = (logits: Tensor, labels: readonly number[], count = labels.length): number => {
  const k = logits.shape[1]!
  let hits = 0
  for (let r = 0; r < count; r++) {
    let best = 0
    for (let j = 1; j < k; j++) if (logits.data[r * logits.shape[1]! + j]! > logits.data[r * logits.shape[1]! + best]!) best = j
    if (best === labels[r]) hits++
  }
  return hits / count
}

/**
 * Mean softmax cross-entropy of the main logits, plus auxWeight × that of the auxiliary logits
 * when present, and the gradient with respect to the network's whole output.
 *
 * @example
 * const { loss, dy } = await classificationLoss(y, labels, setup)
 */
export const classificationLoss = async (y: Tensor, labels: readonly number[], s: StepSetup): Promise<{ loss: number; dy: Tensor; main: Tensor }> => {
  const k = s.classes
  const width = y.shape[1]!
  if (width !== k && width !== 2 * k) throw new RangeError(`loss: the network outputs ${width} logits per image, expected ${k} classes (or ${2 * k} with an auxiliary head)`)
  if (width === k) {
    const xe = await softmaxCrossEntropy(y, labels, s.smoothing, s.backend)
    return { loss: xe.loss, dy: xe.dlogits, main: y }
  }
  const main = columns(y, 0, k)
  const w = s.auxWeight ?? 0.4
  const a = await softmaxCrossEntropy(main, labels, s.smoothing, s.backend)
  const b = await softmaxCrossEntropy(columns(y, k, k), labels, s.smoothing, s.backend)
  const dy = new Float32Array(y.size)
  for (let r = 0; r < labels.length; r++) {
    for (let j = 0; j < k; j++) {
      dy[r * width + j] = a.dlogits.data[r * k + j]!
      dy[r * width + k + j] = w * b.dlogits.data[r * k + j]!
    }
  }
  return { loss: a.loss + w * b.loss, dy: Tensor.adopt(y.shape, dy), main }
}

/**
 * Where a non-finite value first appeared: a parameter already non-finite, non-finite input pixels,
 * or (a second, inspecting pass over the same batch) the first layer whose output, then whose input
 * gradient, held a NaN or an infinity.
 */
const diagnose = async (s: StepSetup, st: TrainState, batch: Batch): Promise<string> => {
  const bad = firstNonFinite(st.params)
  if (bad) return `parameter '${bad}' was already non-finite`
  if (!allFinite(batch.x.data)) return 'the input batch holds non-finite pixels'
  let found: string | undefined
  const inspect: Inspector = (path, kind, what, t) => {
    if (!found && !allFinite(t.data)) found = `the first non-finite value is the ${what} of layer '${path.join('.') || '(root)'}' (${kind})`
  }
  const a = await s.net.apply(st.params, st.state, batch.x, { training: true, key: foldIn(st.key, st.step), backend: s.backend, inspect })()
  if (!found) {
    const { dy } = await classificationLoss(a.y, batch.labels, s)
    if (!allFinite(dy.data)) return 'the logits overflow the softmax'
    await a.backward(dy)()
  }
  return found ?? 'no layer output or gradient was non-finite on a second pass'
}

/**
 * One optimisation step: forward in training mode, loss, backward, the optimizer's update, and the
 * new batch-norm statistics. A non-finite loss or gradient stops here, before any parameter is
 * overwritten, with the step and where the first non-finite value appeared (see diagnose).
 *
 * @example
 * const step = trainStep({ net, optimizer: rmsproptf(), schedule: constant(0.045), classes: 10, smoothing: 0, backend })
 * const { state, loss } = await step(state0, batch)
 */
export const trainStep = (s: StepSetup) => async (st: TrainState, batch: Batch): Promise<StepResult> => {
  const lr = s.schedule(st.step)
  // a watched step shows the forward pass to the monitor; any other runs exactly as unwatched
  const monitor = s.watch && s.watch.layers.length > 0 && st.step % s.watch.every === 0 ? layerMonitor(s.watch.layers) : undefined
  // phases for a kernel trace (lib/backend/kernel-trace.ts; free when none runs)
  markPhase(s.backend, 'forward')
  const a = await s.net.apply(st.params, st.state, batch.x, { training: true, key: foldIn(st.key, st.step), backend: s.backend, ...(monitor ? { inspect: monitor.inspect } : {}) })()
  markPhase(s.backend, 'loss')
  const { loss, dy, main } = await classificationLoss(a.y, batch.labels, s)
  markPhase(s.backend, 'backward')
  const grads = (await a.backward(dy)()).params
  const badGrad = firstNonFinite(grads)
  if (!Number.isFinite(loss) || badGrad) throw new NonFiniteError(st.step, `${Number.isFinite(loss) ? `the gradient of '${badGrad}' is not finite` : `the loss is ${loss}`}; ${await diagnose(s, st, batch)}`)
  markPhase(s.backend, 'optimizer')
  const { params, state: opt } = await optimizerStep(s.optimizer, grads, st.opt, { learningRate: lr, params: st.params, backend: s.backend })
  return { state: { params, state: a.state, opt, step: st.step + 1, key: st.key }, loss, top1: top1Of(main, batch.labels), lr, ...(monitor ? { activity: monitor.activity(grads) } : {}) }
}
