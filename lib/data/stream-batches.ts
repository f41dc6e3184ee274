import { foldIn } from '../tensor'
import { Batch, EpochPlan, prepareRecords, stepsPerEpoch } from './batches'
import { DataRecord } from './example'
import { DataError } from './errors'
import { StreamSource } from './stream-source'

/**
 * Batch-of-step for a stream: the records of step s are the next `batchSize` of its epoch's
 * sequence, so steps must be asked for in order (the prefetch does). A run starting at step
 * `first` opens its epoch at position (first mod steps per epoch) · batch, which the source reads
 * without decoding. The last partial batch of an epoch is dropped, as for random-access data; a
 * bad record (with `onBad: 'skip'`) is replaced by the next record of its batch.
 *
 * @example
 * const batchOf = streamBatchOf(source, plan, 0)
 * const b0 = await batchOf(0), b1 = await batchOf(1)
 */
export const streamBatchOf = (s: StreamSource, plan: EpochPlan, first: number) => {
  const per = stepsPerEpoch(s, plan.batchSize)
  if (per === 0) throw new RangeError(`${s.name}: ${s.size} records an epoch are fewer than one batch of ${plan.batchSize}`)
  let epoch = -1
  let it: AsyncIterator<DataRecord> | undefined
  let tail: Promise<unknown> = Promise.resolve()
  let expected = first
  const take = async (step: number): Promise<DataRecord[]> => {
    const e = Math.floor(step / per)
    if (e !== epoch) {
      void it?.return?.()
      epoch = e
      it = s.records(e, step === first ? (step % per) * plan.batchSize : 0)[Symbol.asyncIterator]()
    }
    const out: DataRecord[] = []
    while (out.length < plan.batchSize) {
      const r = await it!.next()
      if (r.done) throw new DataError(`${s.name}: epoch ${e} ended after ${(step % per) * plan.batchSize + out.length} of its ${s.size} records`)
      out.push(r.value)
    }
    return out
  }
  return (step: number): Promise<Batch> => {
    if (step !== expected) throw new RangeError(`${s.name}: a stream's batches are read in order: step ${expected} next, not ${step}`)
    expected++
    const records = tail.then(() => take(step))
    tail = records.catch(() => undefined)
    return records.then(rs => prepareRecords(rs.length, (k, attempt) => ({ record: rs[(k + attempt) % rs.length]!, index: k }), plan, foldIn(foldIn(plan.key, 0x5eed), step), step, s.name))
  }
}
