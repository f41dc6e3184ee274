/**
 * One benchmark case, run alone in a child process by the suite (bench/suite.ts) so that its peak
 * RSS is its own. Argument: the case as JSON. Prints JSON lines on stdout: `{"check": ...}` once the
 * logits (and, training, the loss and first/last gradients) are compared, then `{"result": ...}`.
 * The rxception case writes the reference the peers compare against (`reference` file).
 */
import { readFileSync, writeFileSync } from 'fs'
import { Backend, ConcreteMode, createBackend } from '../lib/backend'
import { markPhase, traceKernels } from '../lib/backend/kernel-trace'
import type { TrainState } from '../lib/train/state'
import { Tree, flatten, graphOf } from '../lib/nn'
import { softmaxCrossEntropy } from '../lib/ops'
import { foldInName, keyFromSeed, normal } from '../lib/tensor'
import { networkOf } from './network-of'
import type { BenchCase } from './suite-types'
import { leafPaths, leafAt, tfCrossEntropy, tfForward, toTf, withLeaf } from './peers/tfjs-network'
import { useTf } from './tfjs'
import { OrtEngine, ortSession } from './peers/ort'
import { profileOf } from '../lib/train/step-profile'
import { trainStep } from '../lib/train/step'
import { rmsproptf } from '../lib/optim'
import { constant } from '../lib/schedule'
import { preferAtomicMarking } from '../lib/platform'

/** The reference an rxception case leaves for its peers. */
interface Reference {
  readonly logits: number[]
  readonly loss?: number
  readonly grads?: Record<string, number[]>
}

const SMOOTHING = 0.1
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

const setup = (c: BenchCase) => {
  const net = networkOf(c)
  const shape = [c.batch, c.size, c.size, c.inChans]
  const key = keyFromSeed(1)
  const { params, state } = net.init(key, shape)
  const x = normal(foldInName(key, 'x'), shape)
  const labels = Array.from({ length: c.batch }, (_, i) => i % c.classes)
  return { net, shape, params, state, x, labels }
}

/** Median and spread (min, max) of timed runs after warm-up ones. */
const timeRuns = async (c: BenchCase, run: () => Promise<void>) => {
  for (let i = 0; i < c.warmup; i++) await run()
  const ms: number[] = []
  for (let i = 0; i < c.reps; i++) {
    const t0 = performance.now()
    await run()
    ms.push(performance.now() - t0)
  }
  ms.sort((a, b) => a - b)
  return { msPerBatch: ms[Math.floor(ms.length / 2)]!, minMs: ms[0]!, maxMs: ms[ms.length - 1]! }
}

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024

const rxception = async (c: BenchCase) => {
  const s = setup(c)
  const backend = await createBackend(c.backend as ConcreteMode)
  try {
    const paths = leafPaths(s.params)
    const firstLast = [paths[0]!, paths.at(-1)!]
    const step = async () => {
      const a = await s.net.apply(s.params, s.state, s.x, { training: c.pass === 'train', key: keyFromSeed(2), backend })()
      if (c.pass === 'infer') return { logits: a.y }
      const xe = await softmaxCrossEntropy(a.y, s.labels, SMOOTHING, backend)
      const g = await a.backward(xe.dlogits)()
      return { logits: a.y, loss: xe.loss, grads: g.params }
    }
    const first = await step()
    const grads = first.grads ? Object.fromEntries(flatten(first.grads as Tree).filter(([p]) => firstLast.includes(p)).map(([p, t]) => [p, Array.from(t.data)])) : undefined
    const reference: Reference = { logits: Array.from(first.logits.data), ...(first.loss !== undefined ? { loss: first.loss, grads } : {}) }
    if (c.reference) writeFileSync(c.reference, JSON.stringify(reference))
    emit({ check: { maxAbsLogitDiff: 0, ok: true, detail: 'the reference' } })
    const t = await timeRuns(c, async () => void (await step()))
    emit({ result: { ...t, peakRssMiB: peakRssMiB(), device: backend.device } })
    if (c.detail) emit({ detail: await profileRuns(c, s, backend) })
  } finally {
    await backend.destroy()
  }
}

/**
 * --detail: `c.reps` traced passes after the timed ones. Training profiles a whole step as the
 * training loop runs it (trainStep: forward, loss, backward, the paper's RMSProp update), after
 * one untraced step that compiles the optimizer's kernels; inference, the forward pass.
 */
const profileRuns = async (c: BenchCase, s: ReturnType<typeof setup>, backend: Backend) => {
  if (c.pass === 'infer') {
    const { trace } = await traceKernels(backend, async () => {
      for (let i = 0; i < c.reps; i++) {
        markPhase(backend, 'forward')
        await s.net.apply(s.params, s.state, s.x, { training: false, key: keyFromSeed(2), backend })()
      }
    })
    return profileOf(trace, c.reps)
  }
  const optimizer = rmsproptf()
  const step = trainStep({ net: s.net, optimizer, schedule: constant(0.045), classes: c.classes, smoothing: SMOOTHING, backend })
  const batch = { x: s.x, labels: s.labels, indices: s.labels.map((_, i) => i), valid: s.labels.length }
  let state: TrainState = { params: s.params, state: s.state, opt: optimizer.init(s.params), step: 0, key: keyFromSeed(3) }
  state = (await step(state, batch)).state
  const { trace } = await traceKernels(backend, async () => {
    for (let i = 0; i < c.reps; i++) state = (await step(state, batch)).state
  })
  return profileOf(trace, c.reps)
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0)
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((m, v) => m + v * v, 0))
const normDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((m, v, i) => m + (v - b[i]!) ** 2, 0))
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)

type T = import('@tensorflow/tfjs-core').Tensor

const tfjs = async (c: BenchCase) => {
  const tf = await useTf(c.engine as 'tfjs-cpu' | 'tfjs-wasm')
  const s = setup(c)
  const graph = graphOf(s.net, s.shape)
  const tp = toTf(tf, s.params)
  const ts = toTf(tf, s.state)
  const x = tf.tensor(s.x.data, s.shape)
  const training = c.pass === 'train'
  const reference = JSON.parse(readFileSync(c.reference!, 'utf8')) as Reference
  const paths = leafPaths(tp)
  const lossOf = (params: typeof tp) => tfCrossEntropy(tf, tfForward(tf, graph, params, ts, x, training), s.labels, SMOOTHING)
  // the check: inference logits within 1e-4 of the largest logit; training loss and first/last gradients within 1e-3 relative
  if (!training) {
    const logits = tf.tidy(() => tfForward(tf, graph, tp, ts, x, false))
    const ours = Float32Array.from(reference.logits)
    const diff = maxAbsDiff(await logits.data(), ours)
    logits.dispose()
    const ok = diff <= 1e-4 * maxAbs(ours)
    emit({ check: { maxAbsLogitDiff: diff, ok, detail: `max |logit| ${maxAbs(ours).toPrecision(3)}` } })
    if (!ok) return
    const t = await timeRuns(c, async () => {
      const y = tf.tidy(() => tfForward(tf, graph, tp, ts, x, false))
      await y.data()
      y.dispose()
    })
    emit({ result: { ...t, peakRssMiB: peakRssMiB(), device: tf.getBackend() } })
    return
  }
  const leaves = paths.map(p => leafAt(tp, p))
  const valueAndGrads = tf.valueAndGrads((...ws: T[]) => lossOf(paths.reduce((t, p, i) => withLeaf(t, p, ws[i]!), tp)) as TfScalar)
  const { value, grads } = valueAndGrads(leaves)
  const loss = (await value.data())[0]!
  const lossOk = Math.abs(loss - reference.loss!) <= 1e-3 * Math.abs(reference.loss!)
  const gradErrors = await Promise.all(Object.entries(reference.grads ?? {}).map(async ([path, ours]) => {
    const theirs = await grads[paths.indexOf(path)]!.data()
    return { path, relative: normDiff(theirs, ours) / Math.max(norm(ours), 1e-30), max: maxAbsDiff(theirs, ours) / Math.max(maxAbs(ours), 1e-30) }
  }))
  tf.dispose([value, ...grads])
  const ok = lossOk && gradErrors.every(e => e.relative <= 1e-3)
  emit({ check: { maxAbsLogitDiff: null, ok, detail: `loss ${loss.toPrecision(6)} vs ${reference.loss!.toPrecision(6)}; ${gradErrors.map(e => `${e.path} ${e.relative.toExponential(1)} (max ${e.max.toExponential(1)})`).join(', ')} (‖diff‖ / ‖gradient‖; max |diff| / max |gradient|)` } })
  if (!ok) return
  const t = await timeRuns(c, async () => {
    const r = valueAndGrads(leaves)
    await r.value.data()
    await Promise.all(r.grads.map(g => g.data()))
    tf.dispose([r.value, ...r.grads])
  })
  emit({ result: { ...t, peakRssMiB: peakRssMiB(), device: tf.getBackend() } })
}

type TfScalar = import('@tensorflow/tfjs-core').Scalar

/** ONNX Runtime on the exported network: inference only (an exported model is an inference graph), the same logit check before timing. */
const ort = async (c: BenchCase) => {
  if (c.pass === 'train') throw new Error('ONNX Runtime runs the exported inference graph; training rows are rxception, TensorFlow.js and PyTorch')
  const s = setup(c)
  const reference = JSON.parse(readFileSync(c.reference!, 'utf8')) as Reference
  const session = await ortSession(c.engine as OrtEngine, s.net, s.params, s.state, s.x)
  const ours = Float32Array.from(reference.logits)
  const diff = maxAbsDiff(await session.run(), ours)
  const ok = diff <= 1e-4 * maxAbs(ours)
  emit({ check: { maxAbsLogitDiff: diff, ok, detail: `max |logit| ${maxAbs(ours).toPrecision(3)}` } })
  if (!ok) return
  const t = await timeRuns(c, async () => void (await session.run()))
  emit({ result: { ...t, peakRssMiB: peakRssMiB(), device: session.device } })
}

const main = async () => {
  const c = JSON.parse(process.argv[2]!) as BenchCase
  // every engine's process collects garbage as rxception's does (tfjs-wasm measured the same either way)
  preferAtomicMarking()
  if (c.engine === 'rxception') await rxception(c)
  else if (c.engine === 'ort-wasm' || c.engine === 'ort-native') await ort(c)
  else await tfjs(c)
}

main().then(
  () => process.exit(0),
  e => {
    emit({ error: String((e as Error).message ?? e).split('\n')[0] })
    process.exit(1)
  },
)
