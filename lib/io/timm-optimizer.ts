import { Tensor } from '../tensor'
import { Tree, flatten, unflatten } from '../tree'
import { fromTorchLayout, toTorchLayout } from './state-dict'
import { TimmParts } from './timm-checkpoint'
import { PickleValue } from './pickle-writer'

/** Whether timm's `param_groups_weight_decay` leaves a parameter undecayed: 1-D tensors and biases. */
const undecayed = (name: string, t: Tensor) => t.rank <= 1 || name.endsWith('.bias')

/**
 * The parameter names in the order of the optimizer's positions: `named_parameters()` order (the
 * order of rxception's parameter tree, which is timm's), split as timm's `param_groups_weight_decay`
 * splits them when there are two groups (undecayed first, then decayed), whole with one group.
 *
 * @example
 * timmParameterOrder(params, 2) // ['features.0.bn.weight', ..., 'features.0.conv.weight', ...]
 */
export const timmParameterOrder = (params: Tree, groups: 1 | 2): string[] => {
  const all = flatten(params)
  if (groups === 1) return all.map(([k]) => k)
  return [...all.filter(([k, t]) => undecayed(k, t)), ...all.filter(([k, t]) => !undecayed(k, t))].map(([k]) => k)
}

/**
 * timm's RMSpropTF state (by position: `square_avg`, `momentum_buffer`, `step`) as the state of
 * rxception's `rmsproptf` (`{ rms: { ms }, momentum: { momentum } }`), so `--resume` from a timm
 * checkpoint continues the optimizer instead of restarting it. timm keeps the learning rate inside
 * the momentum buffer and subtracts it; rxception adds its (negated) buffer: the buffer changes sign.
 * A position without state (never stepped) starts as RMSpropTF does: ms 1, momentum 0. The groups
 * must be the ones timm's create_optimizer makes for this network, else a one-line error says how
 * they differ.
 *
 * @example
 * const opt = rmspropTfStateFromTimm(parts.optimizer!, params, 'last.pth.tar')
 */
export const rmspropTfStateFromTimm = (o: NonNullable<TimmParts['optimizer']>, params: Tree, file: string): Tree => {
  const fail = (why: string): never => {
    throw new Error(`${file}: optimizer: ${why}`)
  }
  if (o.groups.length !== 1 && o.groups.length !== 2) fail(`${o.groups.length} parameter groups; timm makes 1 (no weight decay) or 2 (undecayed, decayed)`)
  const order = timmParameterOrder(params, o.groups.length as 1 | 2)
  const positions = o.groups.flatMap(g => g.params)
  if (positions.length !== order.length || positions.some((p, i) => p !== i)) {
    fail(`its groups hold ${positions.length} parameters (positions ${positions.slice(0, 3).join(', ')}...), this network has ${order.length} in timm's order`)
  }
  const shapes = byName(params)
  if (o.groups.length === 2 && o.groups[0]!.params.length !== [...shapes].filter(([k, t]) => undecayed(k, t)).length) {
    fail('its first group is not the undecayed parameters (1-D tensors and biases) timm puts there')
  }
  const ms: [string, Tensor][] = []
  const momentum: [string, Tensor][] = []
  order.forEach((name, i) => {
    const p = shapes.get(name)!
    const s = o.state.get(i)
    const take = (key: string, fallback: Tensor, negate: boolean): Tensor => {
      const v = s?.get(key)
      if (v === undefined) return fallback
      if (!(v instanceof Tensor)) return fail(`state ${i} (${name}).${key}: expected a tensor`)
      const ours = fromTorchLayout(v)
      if (ours.shape.join() !== p.shape.join()) fail(`state ${i} (${name}).${key}: shape [${v.shape.join(', ')}], the parameter is [${toTorchLayout(p).shape.join(', ')}]`)
      return negate ? Tensor.adopt(ours.shape, ours.data.map(x => -x)) : ours
    }
    ms.push([name, take('square_avg', Tensor.fill(p.shape, 1), false)])
    momentum.push([name, take('momentum_buffer', Tensor.zeros(p.shape), true)])
  })
  return { rms: { ms: unflatten(ms) }, momentum: { momentum: unflatten(momentum) } }
}

const byName = (params: Tree) => new Map(flatten(params))

/**
 * RMSpropTF's settings as timm's param groups hold them (timm/optim/rmsprop_tf.py's defaults
 * beside the run's values), so `optimizer.load_state_dict` takes them whole.
 *
 * @example
 * const s: RmspropTfSettings = { lr: 0.045, momentum: 0.9, eps: 1, weightDecay: 4e-5, weightDecayAll: false }
 */
export interface RmspropTfSettings {
  readonly lr: number
  readonly momentum: number
  readonly eps: number
  readonly weightDecay: number
  readonly weightDecayAll: boolean
}

/**
 * rxception's `rmsproptf` state as timm's RMSpropTF `state_dict()`: state by position (`step`,
 * `square_avg`, `momentum_buffer`, PyTorch layout, the buffer's sign turned back), param groups as
 * timm's `create_optimizer_v2` makes them (two with weight decay: undecayed, decayed; one without).
 * The inverse of rmspropTfStateFromTimm.
 *
 * @example
 * const optimizer = rmspropTfStateToTimm(state.opt, state.params, state.step, settings)
 */
export const rmspropTfStateToTimm = (opt: Tree, params: Tree, steps: number, s: RmspropTfSettings): PickleValue => {
  const rms = new Map(flatten((opt as { rms?: { ms?: Tree } }).rms?.ms ?? {}))
  const mom = new Map(flatten((opt as { momentum?: { momentum?: Tree } }).momentum?.momentum ?? {}))
  if (rms.size === 0) throw new Error("export --to timm-resume: the run's optimizer is not rmsproptf (no RMS state); timm's RMSpropTF cannot continue it")
  const groups: 1 | 2 = s.weightDecay > 0 ? 2 : 1
  const order = timmParameterOrder(params, groups)
  const all = byName(params)
  const noDecay = order.filter(k => undecayed(k, all.get(k)!)).length
  const state = order.map((name, i) => [i, { kind: 'dict', entries: [
    ['step', { kind: 'tensor', tensor: Tensor.fromArray([1], [steps]), shape: [] }],
    ['square_avg', { kind: 'tensor', tensor: toTorchLayout(rms.get(name)!) }],
    ['momentum_buffer', { kind: 'tensor', tensor: toTorchLayout(mom.has(name) ? Tensor.adopt(mom.get(name)!.shape, mom.get(name)!.data.map(x => -x)) : Tensor.zeros(all.get(name)!.shape)) }],
  ] }] as const)
  const group = (positions: number[], weightDecay: number): PickleValue => ({ kind: 'dict', entries: [
    ['lr', { kind: 'float', value: s.lr }], ['momentum', { kind: 'float', value: s.momentum }], ['alpha', { kind: 'float', value: 0.9 }], ['eps', { kind: 'float', value: s.eps }],
    ['centered', false], ['weight_decay', { kind: 'float', value: weightDecay }], ['decoupled_decay', false], ['corrected_weight_decay', false], ['lr_in_momentum', true],
    ['caution', false], ['initial_lr', { kind: 'float', value: s.lr }], ['params', positions],
  ] })
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i)
  return { kind: 'dict', entries: [
    ['state', { kind: 'dict', entries: state }],
    ['param_groups', groups === 1 ? [group(range(0, order.length), s.weightDecay)] : [group(range(0, noDecay), s.weightDecayAll ? s.weightDecay : 0), group(range(noDecay, order.length), s.weightDecay)]],
  ] }
}
