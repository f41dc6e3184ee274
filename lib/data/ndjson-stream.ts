import { DataRecord } from './example'
import { DataError } from './errors'
import { StreamSource, withTimeout } from './stream-source'

/**
 * An ndjson stream read as it arrives (`ndjson:-` with --train-num-samples N): epoch e is the
 * next N good lines, so a pipe that never ends trains, one epoch every N records, holding none but
 * the batches being prepared. A pipe cannot be read again: resuming mid-stream is refused.
 *
 * @example
 * const s = ndjsonStream('stdin', numbered(lines(process.stdin)), { size: 640, classes: 10, dataTimeout: 300, onBad: 'skip' })
 */
export const ndjsonStream = (
  name: string,
  lines: AsyncIterable<{ line: string; number: number }>,
  o: { readonly size: number; readonly classes: number; readonly dataTimeout: number; readonly onBad: 'fail' | 'skip'; readonly onSkip?: (where: string, reason: string) => void },
  parse: (line: string) => DataRecord,
): StreamSource => {
  const it = withTimeout(lines, o.dataTimeout, `ndjson:${name}`)[Symbol.asyncIterator]()
  let next = 0
  return {
    name: `ndjson:${name}`, size: o.size, classes: o.classes, replayable: false,
    records: (epoch, skip) => {
      if (epoch !== next || skip !== 0) throw new DataError(`ndjson:${name}: a stream cannot be read again, so a run on it cannot resume mid-epoch (epoch ${epoch}, position ${skip}); resume from a file source instead`)
      next++
      return (async function* () {
        for (let n = 0; n < o.size; ) {
          const r = await it.next()
          if (r.done) throw new DataError(`ndjson:${name}: the stream ended ${n} records into epoch ${epoch} of ${o.size} (--train-num-samples)`)
          const where = `${name}:${r.value.number}`
          let rec: DataRecord
          try {
            rec = parse(r.value.line)
          } catch (e) {
            if (o.onBad !== 'skip') throw new DataError(`${where}: ${(e as Error).message} (--on-bad-record skip leaves such records out)`)
            o.onSkip?.(where, (e as Error).message)
            continue
          }
          const label = rec.kind === 'example' ? rec.example.label : rec.label
          if (label >= o.classes) {
            const reason = `label ${label} is outside the ${o.classes} classes (--num-classes)`
            if (o.onBad !== 'skip') throw new DataError(`${where}: ${reason}`)
            o.onSkip?.(where, reason)
            continue
          }
          n++
          yield rec
        }
      })()
    },
  }
}
