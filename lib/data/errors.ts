/**
 * A data source could not be opened or a record was bad; the message names the file, shard or line.
 *
 * @example
 * try { await openSource('csv:x', { onBad: 'fail' }) } catch (e) { if (e instanceof DataError) console.error(e.message) }
 */
export class DataError extends Error {
  override name = 'DataError'
}
