import { isLeft } from 'fp-ts/Either'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { pipe } from 'fp-ts/function'
import { readSafetensors, writeSafetensors } from '../io'
import { Key, Tensor } from '../tensor'
import { Tree, flatten, unflatten } from '../tree'
import { EpochSums, TrainState } from './state'

/**
 * A training checkpoint is one safetensors file: the parameters, batch-norm state and optimizer
 * state under `params.`, `state.` and `opt.` (our layouts, float32, bit-exact), and in the header's
 * metadata the step, the key and the run's configuration as JSON. Written to a temporary file and
 * renamed, so a crash mid-write leaves the previous checkpoint intact.
 *
 * @example
 * file.metadata.format === CHECKPOINT_FORMAT
 */
export const CHECKPOINT_FORMAT = 'rxception-checkpoint/1'

const GROUPS = ['params', 'state', 'opt'] as const

/**
 * Writes a training checkpoint atomically (see above).
 *
 * @example
 * await writeCheckpoint('run/last.ckpt.safetensors', snapshot, config)()
 */
export const writeCheckpoint = (file: string, s: TrainState, config: unknown): TE.TaskEither<Error, void> =>
  writeSafetensors(
    file,
    GROUPS.flatMap(g => flatten(s[g]).map(([k, t]) => [`${g}.${k}`, t] as const)),
    { format: CHECKPOINT_FORMAT, step: String(s.step), key: JSON.stringify(s.key), config: JSON.stringify(config), ...(s.epochSoFar ? { epoch_so_far: JSON.stringify(s.epochSoFar) } : {}) },
  )

const EpochSumsCodec = t.type({ loss: t.number, hits: t.number, steps: t.number })

/** The checkpoint's `epoch_so_far` metadata: three finite numbers, or the file is refused by name. */
const epochSumsOf = (file: string, raw: string): EpochSums => {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    json = null
  }
  const r = EpochSumsCodec.decode(json)
  if (isLeft(r) || !Object.values(r.right).every(Number.isFinite)) throw new Error(`${file}: checkpoint metadata 'epoch_so_far' is malformed`)
  return r.right
}

/**
 * A checkpoint as read: the training state and the run's configuration.
 *
 * @example
 * const { snapshot, config }: Checkpoint = unwrap(await readCheckpoint(file)())
 */
export interface Checkpoint {
  readonly snapshot: TrainState
  /** The configuration the run was started with (decode it before use). */
  readonly config: unknown
}

/**
 * @example
 * const ck = await readCheckpoint('output/train/last.ckpt.safetensors')()
 */
export const readCheckpoint = (file: string): TE.TaskEither<Error, Checkpoint> =>
  pipe(
    readSafetensors(file),
    TE.chainW(f =>
      TE.tryCatch(async () => {
        const m = f.metadata
        if (m.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: not an rxception checkpoint (metadata format is ${JSON.stringify(m.format)}, expected '${CHECKPOINT_FORMAT}'); model weights go to --initial-checkpoint`)
        const step = Number(m.step)
        const key = JSON.parse(m.key ?? 'null') as Key
        if (!Number.isSafeInteger(step) || step < 0 || !Array.isArray(key) || key.length !== 2) throw new Error(`${file}: checkpoint metadata 'step' or 'key' is malformed`)
        const groups: Record<string, [string, Tensor][]> = Object.fromEntries(GROUPS.map(g => [g, []]))
        for (const [name, t] of f.tensors) {
          const dot = name.indexOf('.')
          const g = name.slice(0, dot)
          if (!(g in groups)) throw new Error(`${file}: unexpected tensor '${name}' (checkpoint tensors start with params., state. or opt.)`)
          groups[g]!.push([name.slice(dot + 1), t])
        }
        const tree = (g: string): Tree => unflatten(groups[g]!)
        // absent in checkpoints written before it was kept: the resumed epoch's mean then covers its remaining steps
        const sums = m.epoch_so_far === undefined ? undefined : epochSumsOf(file, m.epoch_so_far)
        const snapshot: TrainState = { params: tree('params'), state: tree('state'), opt: tree('opt'), step, key: [key[0], key[1]] as const, ...(sums ? { epochSoFar: sums } : {}) }
        return { snapshot, config: JSON.parse(m.config ?? '{}') as unknown }
      }, e => e as Error),
    ),
  )
