import { Backend } from '../../lib/backend'
import { flatten } from '../../lib/nn'
import { rmsproptf } from '../../lib/optim'
import { stepDecay } from '../../lib/schedule'
import { trainStep } from '../../lib/train/step'
import { TrainState } from '../../lib/train/state'
import { foldInName, keyFromSeed, normal, Tensor } from '../../lib/tensor'
import { NETWORKS } from '../../modules'
import { opCases, float64 } from '../ops/cases'
import { relativeError } from '../helpers/numeric'

/**
 * What the browser tests compare with Node: the same source, bundled for Chromium
 * (test/browser/harness.ts) and run by ava in Node (test/browser/browser.test.ts).
 *
 * `agreement` runs Inception-ResNet-v2 at width 1/8 on 75×75 inputs: inference logits, then three
 * training steps (RMSProp as TF, the paper's staircase schedule, label smoothing) on fixed
 * batches; it returns the logits, the losses and every parameter after the steps as hex of their
 * float32 bits, so "equal" means bit for bit.
 */
export interface Agreement {
  readonly logits: string
  readonly losses: readonly number[]
  readonly params: Readonly<Record<string, string>>
}

/** float32 values as hex of their bits (exact, and cheap to compare and to send over the DevTools protocol). */
export const bitsHex = (data: Float32Array): string => {
  const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  let out = ''
  for (let i = 0; i < u8.length; i++) out += u8[i]!.toString(16).padStart(2, '0')
  return out
}

export const agreement = async (backend: Backend): Promise<Agreement> => {
  const net = NETWORKS['inception-resnet-v2']({ width: 1 / 8, classes: 5, dropoutKeep: 1, repeats: [1, 1, 1] })
  const key = keyFromSeed(11)
  const shape = [2, 75, 75, 3]
  const { params, state } = net.init(key, shape)
  const logits = (await net.apply(params, state, normal(foldInName(key, 'x'), shape), { training: false, key, backend })()).y
  const optimizer = rmsproptf()
  const step = trainStep({ net, optimizer, schedule: stepDecay(0.045, 0.94, 2), classes: 5, smoothing: 0.1, backend })
  let st: TrainState = { params, state, opt: optimizer.init(params), step: 0, key }
  const losses: number[] = []
  for (let s = 0; s < 3; s++) {
    const x = normal(foldInName(key, `batch-${s}`), shape)
    const r = await step(st, { x, labels: [s % 5, (s + 2) % 5], indices: [0, 1], valid: 2 })
    losses.push(r.loss)
    st = r.state
  }
  return { logits: bitsHex(logits.data), losses, params: Object.fromEntries(flatten(st.params).map(([k, t]) => [k, bitsHex((t as Tensor).data)])) }
}

/** Each op case's forward pass on `backend` against the float64 reference: its relative error. */
export const opTable = async (backend: Backend): Promise<{ name: string; error: number }[]> => {
  const out: { name: string; error: number }[] = []
  for (const c of opCases) {
    const y = await c.forward(backend, c.inputs)
    const expected = c.reference(float64(c.inputs))
    out.push({ name: c.name, error: y.size === expected.length ? relativeError(y.data, expected) : Infinity })
  }
  return out
}
