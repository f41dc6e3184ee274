import { Either, left, right } from 'fp-ts/Either'
import { Spec, SpecTree, Tree, flatten, flattenSpec, isParamSpec, unflatten } from '../nn'
import { Key, Shape, Tensor, foldInName, sameShape, shapeToString } from '../tensor'

/**
 * PyTorch state dicts by name. Our layouts are HWIO for convolutions and [in, out] for dense
 * weights; PyTorch's are OIHW and [out, in]. Import transposes once, at load time; export writes
 * PyTorch's layout, so a round trip is exact and timm loads what we save.
 */
const transpose = (t: Tensor, shape: Shape, perm: readonly number[]): Tensor => {
  const outShape = perm.map(p => shape[p]!)
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1))
  const out = new Float32Array(t.size)
  const idx = new Array(shape.length).fill(0)
  for (let o = 0; o < out.length; o++) {
    let src = 0
    for (let d = 0; d < perm.length; d++) src += idx[d] * strides[perm[d]!]!
    out[o] = t.data[src]!
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]!) break
      idx[d] = 0
    }
  }
  return Tensor.adopt(outShape, out)
}

/**
 * Ours → PyTorch: HWIO → OIHW, [in, out] → [out, in]; vectors unchanged.
 *
 * @example
 * toTorchLayout(convWeight) // HWIO → OIHW
 */
export const toTorchLayout = (t: Tensor): Tensor =>
  t.rank === 4 ? transpose(t, t.shape, [3, 2, 0, 1]) : t.rank === 2 ? transpose(t, t.shape, [1, 0]) : t

/**
 * PyTorch → ours: OIHW → HWIO, [out, in] → [in, out].
 *
 * @example
 * fromTorchLayout(torchConvWeight) // OIHW → HWIO
 */
export const fromTorchLayout = (t: Tensor): Tensor =>
  t.rank === 4 ? transpose(t, t.shape, [2, 3, 1, 0]) : t.rank === 2 ? transpose(t, t.shape, [1, 0]) : t

/**
 * Our shape in PyTorch's layout (for messages).
 *
 * @example
 * torchShape([3, 3, 32, 64]) // [64, 32, 3, 3]
 */
export const torchShape = (ours: Shape): Shape =>
  ours.length === 4 ? [ours[3]!, ours[2]!, ours[0]!, ours[1]!] : ours.length === 2 ? [ours[1]!, ours[0]!] : ours

/**
 * Parameters then state, in PyTorch layout, by dotted name.
 *
 * @example
 * await writeSafetensors('model.safetensors', exportStateDict(params, state))()
 */
export const exportStateDict = (params: Tree, state: Tree): [string, Tensor][] =>
  [...flatten(params), ...flatten(state)].map(([k, t]) => [k, toTorchLayout(t)])

/**
 * What a state-dict import found: missing, unexpected and mis-shaped keys.
 *
 * @example
 * const { missing, unexpected, mismatched } = loaded.report
 */
export interface LoadReport {
  readonly missing: readonly string[]
  readonly unexpected: readonly string[]
  readonly mismatched: readonly string[]
}

/**
 * A state dict that does not match the model (strict import), with the report.
 *
 * @example
 * if (isLeft(loaded)) console.error(loaded.left.report.missing)
 */
export class StateDictError extends Error {
  constructor(readonly source: string, readonly report: LoadReport) {
    super(
      `${source}: state dict does not match the model: ` +
        [
          report.missing.length ? `missing (${report.missing.length}): ${report.missing.slice(0, 5).join(', ')}${report.missing.length > 5 ? ', ...' : ''}` : '',
          report.unexpected.length ? `unexpected (${report.unexpected.length}): ${report.unexpected.slice(0, 5).join(', ')}${report.unexpected.length > 5 ? ', ...' : ''}` : '',
          report.mismatched.length ? `wrong shape (${report.mismatched.length}): ${report.mismatched.slice(0, 5).join('; ')}${report.mismatched.length > 5 ? '; ...' : ''}` : '',
        ].filter(Boolean).join('; '),
    )
    this.name = 'StateDictError'
  }
}

/**
 * What an import gives: parameters, state, and what did not match (non-strict).
 *
 * @example
 * const { params, state, report }: Loaded = unwrap(importStateDict(spec, tensors, file))
 */
export interface Loaded {
  readonly params: Tree
  readonly state: Tree
  readonly report: LoadReport
}

/**
 * Matches a PyTorch state dict against a model's spec. Strict (the default) fails on any missing,
 * unexpected or mis-shaped key, naming them; non-strict keeps the matching ones, initialises the
 * missing ones from `key` and reports the rest.
 *
 * @example
 * const loaded = importStateDict(net.spec([1, 299, 299, 3]), file.tensors, 'model.safetensors')
 */
export const importStateDict = (
  spec: Pick<Spec, 'params' | 'state'>, tensors: ReadonlyMap<string, Tensor>, source: string,
  opts: { strict?: boolean; key?: Key; ignore?: readonly string[] } = {},
): Either<StateDictError, Loaded> => {
  const strict = opts.strict ?? true
  const missing: string[] = []
  const mismatched: string[] = []
  const take = (tree: SpecTree): Tree => unflatten(flattenSpec(tree).flatMap(([name, shape]) => {
    const t = tensors.get(name)
    if (!t) {
      missing.push(name)
      return opts.key ? [[name, leafOf(tree, name).init(foldInName(opts.key, name))] as const] : []
    }
    const ours = fromTorchLayout(t)
    if (!sameShape(ours.shape, shape)) {
      mismatched.push(`${name}: file ${shapeToString(t.shape)}, model ${shapeToString(torchShape(shape))}`)
      return []
    }
    return [[name, ours] as const]
  }))
  const params = take(spec.params)
  const state = take(spec.state)
  const known = new Set([...flattenSpec(spec.params), ...flattenSpec(spec.state)].map(([k]) => k))
  const unexpected = [...tensors.keys()].filter(k => !known.has(k) && !(opts.ignore ?? []).some(s => k.endsWith(s)))
  const report = { missing, unexpected, mismatched }
  if (mismatched.length || (strict && (missing.length || unexpected.length)) || (missing.length && !opts.key)) {
    return left(new StateDictError(source, report))
  }
  return right({ params, state, report })
}

const leafOf = (tree: SpecTree, path: string) => {
  let node: SpecTree[string] = tree
  for (const p of path.split('.')) node = (node as SpecTree)[p]!
  if (!isParamSpec(node)) throw new Error(`${path} is not a parameter`)
  return node
}
