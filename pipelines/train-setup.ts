import { isLeft } from 'fp-ts/Either'
import { Dataset, Loaded, hardDigits, mnist, openSource, subset, permutation, shardDataset, shardOf, Shard, StreamSource, openWds, ndjsonStream, ndjsonRecord, lines } from '../lib/data'
import { importStateDict, readWeightsFile } from '../lib/io'
import { Layer } from '../lib/nn'
import { Tensor, foldInName, keyFromSeed } from '../lib/tensor'
import { TrainState } from '../lib/train'
import { ConfigError, TrainConfig } from './config'
import { MODELS } from '../modules'
import { inputShape } from './train-recipe'

export { buildNetwork, inputShape, optimizerOf, preprocessing, scheduleOf } from './train-recipe'

/** The pieces of a run that follow from its configuration alone (plus the files it names). */

export interface RunData {
  readonly train: Dataset | StreamSource
  readonly heldOut?: Dataset | StreamSource
  readonly skipped: number
}

/**
 * A source by its --data syntax: `wds:` shards and `ndjson:-` with --train-num-samples open as
 * streams (read in order, bounded memory); the rest as random-access records.
 */
const openAny = async (c: TrainConfig, spec: string, log: (s: string) => void, o: { training: boolean; shard: Shard | null }): Promise<Loaded | { stream: StreamSource }> => {
  const onSkip = (where: string, reason: string) => log(`skipped ${where}: ${reason}`)
  if (spec.startsWith('wds:')) {
    return {
      stream: await openWds(spec.slice(4), {
        key: foldInName(keyFromSeed(c.seed), 'wds'), shuffleBuffer: o.training ? c.shuffleBuffer : 1, onBad: c.onBadRecord, dataTimeout: c.dataTimeout,
        shard: o.shard, trainNumSamples: o.training ? c.trainNumSamples : null, numClasses: c.numClasses, log, onSkip,
      }),
    }
  }
  if (spec === 'ndjson:-' && c.trainNumSamples !== null && o.training) {
    if (c.numClasses === null) throw new ConfigError('--data ndjson:- with --train-num-samples: a stream does not say how many classes it has; pass --num-classes')
    return { stream: ndjsonStream('stdin', lines(process.stdin), { size: c.trainNumSamples, classes: c.numClasses, dataTimeout: c.dataTimeout, onBad: c.onBadRecord, onSkip }, line => ndjsonRecord(line, process.cwd())) }
  }
  return openSource(spec, { onBad: c.onBadRecord })
}

/**
 * Opens --data and --val-data (listing records, decoding nothing). Without --val-data, mnist
 * trains on its training split and evaluates on its held-out tenth; other sources hold out
 * --val-split of their examples (a keyed draw from --seed) or train on everything. The training
 * part is then this reader's --shard (RANK/WORLD_SIZE) of it, unless `o.shard` is false; held-out
 * wds shards are split by `o.heldOutShard` (evaluate --shard), and so is --data itself when
 * `o.evaluating` and there is no --val-data (evaluate reads --data then: whole, in order).
 */
export const openData = async (c: TrainConfig, log: (s: string) => void, o: { readonly shard?: boolean; readonly heldOutShard?: Shard | null; readonly evaluating?: boolean } = {}): Promise<RunData> => {
  const report = (what: string, l: Loaded) => {
    for (const s of l.skipped.slice(0, 5)) log(`skipped ${s.where}: ${s.reason}`)
    if (l.skipped.length) log(`${what}: skipped ${l.skipped.length} bad record${l.skipped.length > 1 ? 's' : ''}`)
    return l.skipped.length
  }
  const shard = o.shard === false ? null : shardOf(c.shard)
  // --train-subset: a keyed draw of that many training examples, the same every epoch
  const limited = (d: Dataset) => c.trainSubset === null || c.trainSubset >= d.size ? d
    : subset(d, `${d.name}, ${c.trainSubset} of them`, permutation(foldInName(keyFromSeed(c.seed), 'train-subset'), d.size).slice(0, c.trainSubset))
  const mine = (d: Dataset) => shardDataset(limited(d), shard, keyFromSeed(c.seed))
  const dataIsEvaluated = o.evaluating === true && !c.valData
  const tr = await openAny(c, c.data, log, dataIsEvaluated ? { training: false, shard: o.heldOutShard ?? null } : { training: true, shard })
  const held = async (): Promise<{ set: Dataset | StreamSource; skipped: number } | undefined> => {
    if (!c.valData) return undefined
    const v = await openAny(c, c.valData, log, { training: false, shard: o.heldOutShard ?? null })
    return 'stream' in v ? { set: v.stream, skipped: 0 } : { set: v.dataset, skipped: report('--val-data', v) }
  }
  if ('stream' in tr) {
    if (c.valSplit > 0) throw new ConfigError(`--val-split: ${c.data} is read as a stream and cannot be split; give --val-data`)
    if (c.trainSubset !== null) throw new ConfigError(`--train-subset: ${c.data} is read as a stream; give --train-num-samples for shorter epochs`)
    const v = await held()
    return { train: tr.stream, ...(v ? { heldOut: v.set } : {}), skipped: v?.skipped ?? 0 }
  }
  let skipped = report('--data', tr)
  const v = await held()
  if (v) return { train: mine(tr.dataset), heldOut: v.set, skipped: skipped + v.skipped }
  if (c.data === 'mnist' && c.valSplit === 0) return { train: mine(tr.dataset), heldOut: mnist().heldOut, skipped }
  if (c.data === 'digits-hard' && c.valSplit === 0) return { train: mine(tr.dataset), heldOut: hardDigits().heldOut, skipped }
  if (c.valSplit > 0) {
    const order = permutation(foldInName(keyFromSeed(c.seed), 'val-split'), tr.dataset.size)
    const n = Math.round(c.valSplit * tr.dataset.size)
    return { train: mine(subset(tr.dataset, tr.dataset.name, order.slice(n))), heldOut: subset(tr.dataset, `${tr.dataset.name} (held-out)`, order.slice(0, n)), skipped }
  }
  return { train: mine(tr.dataset), skipped }
}

/** The classifier's parameter prefix, from the registry ('logits', 'classif', 'last_linear': timm's `default_cfgs`). */
export const classifierPrefix = (c: TrainConfig): string => MODELS[c.model].classifier

/**
 * The classifier width a weights file was saved with (its classifier weight's first, output,
 * dimension in PyTorch's layout), or undefined when it has no such tensor.
 *
 * @example
 * classesInWeights(await readWeights('model.safetensors'), config) // 1000
 */
export const classesInWeights = (tensors: ReadonlyMap<string, Tensor>, c: TrainConfig): number | undefined =>
  tensors.get(`${classifierPrefix(c)}.weight`)?.shape[0]

/** The tensors of a timm-named weights file (--initial-checkpoint, --weights): safetensors or timm's .pth.tar. */
export const readWeights = readWeightsFile

/**
 * Fresh parameters from --seed, or --initial-checkpoint's (strict: every name and shape must match;
 * with --reset-classifier the file's classifier is dropped and a new one initialised).
 */
export const initialState = (c: TrainConfig, net: Layer, optInit: (p: TrainState['params']) => TrainState['opt'], weights?: { file: string; tensors: ReadonlyMap<string, Tensor>; classifier: string }): TrainState => {
  const key = keyFromSeed(c.seed)
  const fresh = net.init(foldInName(key, 'init'), inputShape(c))
  if (!weights) return { params: fresh.params, state: fresh.state, opt: optInit(fresh.params), step: 0, key }
  const tensors = c.resetClassifier ? new Map([...weights.tensors].filter(([k]) => !k.startsWith(`${weights.classifier}.`))) : weights.tensors
  const loaded = importStateDict(net.spec(inputShape(c)), tensors, weights.file, { strict: !c.resetClassifier, key: foldInName(key, 'init') })
  if (isLeft(loaded)) throw loaded.left
  return { params: loaded.right.params, state: loaded.right.state, opt: optInit(loaded.right.params), step: 0, key }
}

