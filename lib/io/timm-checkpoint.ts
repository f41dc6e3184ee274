import { Tensor } from '../tensor'
import { Namespace, TorchValue } from './torch-checkpoint'

/**
 * The parts of a timm checkpoint (what `timm.utils.CheckpointSaver` writes: `{epoch, arch,
 * optimizer, version, args, state_dict, [state_dict_ema], metric}`), or of a plain state dict.
 * `weights` are the EMA weights when the file has them (timm's `load_checkpoint` default), else
 * `state_dict`, with DistributedDataParallel's `module.` and torch.compile's `_orig_mod.` prefixes
 * removed; integer tensors (`num_batches_tracked`) are left out, as the safetensors reader does.
 *
 * @example
 * const parts = timmParts(await readTorchCheckpoint('last.pth.tar')(), 'last.pth.tar')
 * parts.weights.get('features.0.conv.weight')
 */
export interface TimmParts {
  readonly weights: ReadonlyMap<string, Tensor>
  readonly source: 'state_dict_ema' | 'state_dict' | 'plain'
  readonly epoch?: number
  readonly version?: number
  readonly arch?: string
  readonly args?: Readonly<Record<string, unknown>>
  /** RMSpropTF's (or any optimizer's) state by parameter position, and its groups' settings with their positions. */
  readonly optimizer?: {
    readonly state: ReadonlyMap<number, ReadonlyMap<string, Tensor | number>>
    readonly groups: readonly { readonly params: readonly number[]; readonly settings: Readonly<Record<string, unknown>> }[]
  }
}

/**
 * A checkpoint's object (readTorchCheckpoint) as its timm parts; `file` names it in errors.
 *
 * @example
 * const { weights, optimizer, epoch } = timmParts(root, 'last.pth.tar')
 */
export const timmParts = (root: unknown, file: string): TimmParts => {
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`)
  }
  if (!(root instanceof Map)) return fail('expected a dict (a timm checkpoint or a state dict) at the top of the pickle')
  const hasDict = root.has('state_dict') || root.has('state_dict_ema')
  const source = root.has('state_dict_ema') ? 'state_dict_ema' : root.has('state_dict') ? 'state_dict' : 'plain'
  const dict = hasDict ? root.get(source) : root
  if (!(dict instanceof Map)) return fail(`${source}: expected a dict of tensors`)
  const weights = new Map<string, Tensor>()
  for (const [k, v] of dict as Map<unknown, TorchValue>) {
    if (typeof k !== 'string') fail(`${source}: a key that is not a string`)
    if (v instanceof Tensor) weights.set((k as string).replace(/^(module\.|_orig_mod\.)+/, ''), v)
    else if (!(v && typeof v === 'object' && 'integer' in v)) fail(`${source}['${k as string}']: expected a tensor`)
  }
  const num = (k: string) => (typeof root.get(k) === 'number' ? (root.get(k) as number) : undefined)
  const args = root.get('args')
  return {
    weights, source,
    ...(num('epoch') !== undefined ? { epoch: num('epoch')! } : {}),
    ...(num('version') !== undefined ? { version: num('version')! } : {}),
    ...(typeof root.get('arch') === 'string' ? { arch: root.get('arch') as string } : {}),
    ...(args instanceof Namespace ? { args: args.values } : {}),
    ...(root.get('optimizer') instanceof Map ? { optimizer: optimizerOf(root.get('optimizer') as Map<string, unknown>, fail) } : {}),
  }
}

const optimizerOf = (o: Map<string, unknown>, fail: (why: string) => never): NonNullable<TimmParts['optimizer']> => {
  const state = o.get('state')
  const groups = o.get('param_groups')
  if (!(state instanceof Map) || !Array.isArray(groups)) return fail("optimizer: expected 'state' (a dict) and 'param_groups' (a list)")
  const byPosition = new Map<number, ReadonlyMap<string, Tensor | number>>()
  for (const [i, s] of state as Map<unknown, unknown>) {
    if (typeof i !== 'number' || !(s instanceof Map)) fail('optimizer.state: expected integer positions mapping to dicts')
    const entry = new Map<string, Tensor | number>()
    for (const [k, v] of s as Map<string, unknown>) {
      if (v instanceof Tensor || typeof v === 'number') entry.set(k, v)
      else if (v && typeof v === 'object' && 'integer' in v) entry.set(k, (v as unknown as { data: number[] }).data[0]!)
    }
    byPosition.set(i as number, entry)
  }
  return {
    state: byPosition,
    groups: groups.map((g, gi) => {
      if (!(g instanceof Map) || !Array.isArray(g.get('params'))) return fail(`optimizer.param_groups[${gi}]: expected a dict with 'params'`)
      const { params, ...settings } = Object.fromEntries(g as Map<string, unknown>)
      return { params: params as number[], settings }
    }),
  }
}
