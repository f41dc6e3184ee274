import { mkdirSync, renameSync, writeFileSync } from 'fs'
import * as path from 'path'

/**
 * Writes a small file (text, or bytes such as an exported ONNX model) whole or not at all: to a
 * temporary name beside it (this process's), then renamed into place, so a reader in another process (a parallel sweep member, a merge job)
 * never sees a torn file and a crash leaves the previous one. The folder is created if missing (an
 * evaluation shard's --out in a folder no task has made yet).
 *
 * @example
 * writeTextAtomic('out/sweep.json', JSON.stringify(manifest))
 */
export const writeTextAtomic = (file: string, text: string | Uint8Array): void => {
  mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}
