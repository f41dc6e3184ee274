import { Env, environment } from '../platform'
import { Key, foldInName } from '../tensor'
import { permutation } from './batches'
import { Dataset, subset } from './example'
import { DataError } from './errors'

/**
 * This reader's part of the data: index I of N.
 *
 * @example
 * const s: Shard = { index: 0, count: 4 }
 */
export interface Shard {
  readonly index: number
  readonly count: number
}

/**
 * `--shard I/N`, else RANK and WORLD_SIZE as torchrun and Slurm's srun set them (Slurm's own
 * SLURM_PROCID / SLURM_NTASKS too), else null (the whole data).
 *
 * @example
 * shardOf('1/4', process.env) // { index: 1, count: 4 }
 */
export const shardOf = (flag: string | null, env: Env = environment()): Shard | null => {
  const fromPair = (i: string | undefined, n: string | undefined, what: string): Shard | null => {
    if (i === undefined || n === undefined) return null
    const [index, count] = [Number(i), Number(n)]
    if (!(/^\d+$/.test(i) && /^\d+$/.test(n) && count >= 1 && index < count)) throw new DataError(`${what}: expected I/N with 0 <= I < N, got ${i}/${n}`)
    return count === 1 ? null : { index, count }
  }
  if (flag !== null) {
    const m = /^(\d+)\/(\d+)$/.exec(flag)
    if (!m) throw new DataError(`--shard: expected I/N (say 0/4), got '${flag}'`)
    return fromPair(m[1], m[2], '--shard')
  }
  return fromPair(env.RANK, env.WORLD_SIZE, 'RANK/WORLD_SIZE') ?? fromPair(env.SLURM_PROCID, env.SLURM_NTASKS, 'SLURM_PROCID/SLURM_NTASKS')
}

/**
 * A keyed partition of a random-access dataset: position j of a permutation drawn from `key` goes
 * to reader j mod N, so the N parts are disjoint, cover the dataset and differ in size by at most one.
 *
 * @example
 * const mine = shardDataset(dataset, { index: 1, count: 4 }, keyFromSeed(42))
 */
export const shardDataset = (d: Dataset, s: Shard | null, key: Key): Dataset => {
  if (!s) return d
  const order = permutation(foldInName(key, 'shard'), d.size)
  return subset(d, `${d.name} [shard ${s.index}/${s.count}]`, order.filter((_, j) => j % s.count === s.index))
}
