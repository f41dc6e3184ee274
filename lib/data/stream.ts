import { Observable, OperatorFunction, lastValueFrom, toArray } from 'rxjs'
import { Key, bits } from '../tensor'
import { Dataset, Example, arrayDataset } from './example'

/**
 * Operators for sources that arrive as a stream (an Observable of examples) rather than a file.
 */

/**
 * A keyed shuffle buffer (tf.data's `shuffle(size)`): holds up to `size` items; once full, each
 * arrival sends out one held item drawn by (key, counter) and takes its place; at completion the
 * rest leave in a keyed order. The same key and input give the same output; memory stays at `size`.
 *
 * @example
 * examples$.pipe(shuffleBuffer(keyFromSeed(1), 1000))
 */
export const shuffleBuffer = <T>(key: Key, size: number): OperatorFunction<T, T> => source =>
  new Observable<T>(subscriber => {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`shuffleBuffer: size must be a positive integer, got ${size}`)
    const held: T[] = []
    let counter = 0
    return source.subscribe({
      next: v => {
        if (held.length < size) {
          held.push(v)
          return
        }
        const j = bits(key, counter++) % size
        const out = held[j]!
        held[j] = v
        subscriber.next(out)
      },
      error: e => subscriber.error(e),
      complete: () => {
        while (held.length > 0) {
          const j = bits(key, counter++) % held.length
          subscriber.next(held[j]!)
          held[j] = held[held.length - 1]!
          held.pop()
        }
        subscriber.complete()
      },
    })
  })

/**
 * A Dataset from a finite Observable of examples (collected into memory; more than `maxExamples`
 * is an error rather than unbounded growth).
 *
 * @example
 * const d = await collect(from(myExamples), 'mine')
 */
export const collect = async (examples: Observable<Example>, name: string, maxExamples = 1_000_000): Promise<Dataset> => {
  let n = 0
  const all = await lastValueFrom(
    new Observable<Example>(sub =>
      examples.subscribe({
        next: e => {
          if (++n > maxExamples) sub.error(new RangeError(`${name}: more than ${maxExamples} examples; raise maxExamples or read the source in parts`))
          else sub.next(e)
        },
        error: e => sub.error(e),
        complete: () => sub.complete(),
      }),
    ).pipe(toArray()),
  )
  if (all.length === 0) throw new RangeError(`${name}: the source emitted no examples`)
  return arrayDataset(name, all)
}
