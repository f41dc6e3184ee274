import { Key, bits, foldIn } from '../tensor'
import { DataRecord } from './example'
import { DataError } from './errors'

/**
 * A source read in order rather than by index: WebDataset tar shards (`wds:`), an ndjson pipe
 * read with --train-num-samples. Epoch e is `records(e, 0)`: for shards, this reader's shards in
 * an order keyed by e, their members through a keyed shuffle buffer; its first `size` records
 * make the epoch. `records(e, skip)` gives the same sequence from position `skip`, reading and
 * not decoding the records before it, which is how a resumed run reads exactly what the
 * uninterrupted run would have: the data position is the step.
 *
 * @example
 * for await (const r of source.records(0, 0)) console.log(r.label)
 */
export interface StreamSource {
  readonly name: string
  /** Records an epoch takes (every reader's own part when sharded). */
  readonly size: number
  readonly classes: number
  readonly classNames?: readonly string[]
  /** Whether `records(e, skip)` can be read again (shards: yes; a pipe: only forward). */
  readonly replayable: boolean
  records(epoch: number, skip: number): AsyncIterable<Exclude<DataRecord, { kind: 'example' }> | Extract<DataRecord, { kind: 'example' }>>
}

/**
 * Whether a training source is a stream (StreamSource) rather than random access (Dataset).
 *
 * @example
 * if (isStream(source)) console.log(`${source.name}: replayable ${source.replayable}`)
 */
export const isStream = (s: object): s is StreamSource => typeof (s as StreamSource).records === 'function'

/**
 * A keyed shuffle buffer over an async sequence (WebDataset's and tf.data's `shuffle(n)`): holds
 * up to `size` items; once full, each arrival sends out a held item drawn by (key, counter) and
 * takes its place; at the end the rest leave in a keyed order. Same key and input, same output.
 *
 * @example
 * for await (const r of shuffled(members, foldIn(key, epoch), 1000)) use(r)
 */
export async function* shuffled<T>(source: AsyncIterable<T>, key: Key, size: number): AsyncGenerator<T> {
  const held: T[] = []
  let counter = 0
  for await (const v of source) {
    if (held.length < size) {
      held.push(v)
      continue
    }
    const j = bits(key, counter++) % size
    const out = held[j]!
    held[j] = v
    yield out
  }
  while (held.length > 0) {
    const j = bits(key, counter++) % held.length
    yield held[j]!
    held[j] = held[held.length - 1]!
    held.pop()
  }
}

/**
 * The items of an async sequence, each within `seconds` of the one before, else a DataError
 * naming the source and the flag (a stalled pipe or mount never hangs a run).
 *
 * @example
 * for await (const line of withTimeout(lines(stdin), 300, 'ndjson:stdin')) use(line)
 */
export async function* withTimeout<T>(source: AsyncIterable<T>, seconds: number, name: string): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]()
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DataError(`${name}: nothing arrived for ${seconds} s (--data-timeout ${seconds})`)), seconds * 1000)
      })
      try {
        const r = await Promise.race([it.next(), stalled])
        if (r.done) return
        yield r.value
      } finally {
        clearTimeout(timer)
      }
    }
  } finally {
    void it.return?.()
  }
}

/**
 * The epoch's own key for one use (shard order 1, shuffling 2).
 *
 * @example
 * permutation(epochKey(key, epoch, 1), shards.length)
 */
export const epochKey = (key: Key, epoch: number, what: number): Key => foldIn(foldIn(key, what), epoch)
