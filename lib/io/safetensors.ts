import * as TE from 'fp-ts/TaskEither'
import { randomBytes } from 'crypto'
import { promises as fs } from 'fs'
import * as path from 'path'
import { Tensor } from '../tensor'
import { ByteSource, encodeSafetensors, readSafetensorsFrom, SafetensorsError, SafetensorsFile } from './safetensors-bytes'

export { blobSource, bytesSource, duplicateKey, encodeSafetensors, readSafetensorsFrom, SafetensorsError, validateHeader } from './safetensors-bytes'
export type { ByteSource, Entry, SafetensorsFile } from './safetensors-bytes'

/**
 * Reads a safetensors file (a TaskEither: nothing happens until it is run). The file must be a
 * regular file; it is read through its handle, the header first, then one tensor at a time.
 *
 * @example
 * const r = await readSafetensors('model.safetensors')()
 * if (isLeft(r)) throw r.left
 * const w = r.right.tensors.get('features.0.conv.weight')
 */
export const readSafetensors = (file: string): TE.TaskEither<SafetensorsError, SafetensorsFile> =>
  TE.tryCatch(async () => {
    const st = await fs.stat(file).catch(e => { throw new SafetensorsError(file, `cannot open: ${(e as Error).message}`) })
    if (!st.isFile()) throw new SafetensorsError(file, 'not a regular file')
    const handle = await fs.open(file, 'r').catch(e => { throw new SafetensorsError(file, `cannot open: ${(e as Error).message}`) })
    try {
      const { size } = await handle.stat()
      const source: ByteSource = {
        size,
        read: async (offset, length) => {
          const bytes = new Uint8Array(length)
          const { bytesRead } = await handle.read(bytes, 0, length, offset)
          return bytes.subarray(0, bytesRead)
        },
      }
      return await readSafetensorsFrom(source, file)
    } finally {
      await handle.close()
    }
  }, e => (e instanceof SafetensorsError ? e : new SafetensorsError(file, (e as Error).message)))

/**
 * Writes float32 tensors in the given order, to a temporary file of its own (two writers never share
 * one), flushed to disk and renamed into place: a crash or a failed write leaves the previous file
 * under the real name intact and no temporary file behind.
 *
 * @example
 * await writeSafetensors('out.safetensors', [['w', Tensor.ones([2, 2])]], { format: 'pt' })()
 */
export const writeSafetensors = (file: string, tensors: Iterable<readonly [string, Tensor]>, metadata: Record<string, string> = {}): TE.TaskEither<SafetensorsError, void> =>
  TE.tryCatch(async () => {
    const pieces = encodeSafetensors(tensors, metadata, file)
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    const handle = await fs.open(tmp, 'wx')
    try {
      for (const b of pieces) await handle.write(b)
      await handle.sync()
      await handle.close()
      await fs.rename(tmp, file)
    } catch (e) {
      await handle.close().catch(() => undefined)
      await fs.rm(tmp, { force: true })
      throw e
    }
  }, e => (e instanceof SafetensorsError ? e : new SafetensorsError(file, (e as Error).message)))
