import { randomBytes } from 'crypto'
import { createWriteStream, promises as fs } from 'fs'
import * as path from 'path'
import { ZipFile } from 'yazl'
import { PickleValue, picklePyTorch } from './pickle-writer'

/**
 * Writes a value as `torch.save` does (a zip of stored members: `ARCHIVE/data.pkl`,
 * `ARCHIVE/data/<key>` per tensor storage, `ARCHIVE/version`, `ARCHIVE/byteorder`), through yazl,
 * to a temporary file renamed into place: a failed write leaves the previous file whole.
 *
 * @example
 * await writeTorchSave('timm-resume.pth.tar', { kind: 'dict', entries: [['epoch', 3]] })
 */
export const writeTorchSave = async (file: string, value: PickleValue): Promise<void> => {
  const { pickle, storages } = picklePyTorch(value)
  const archive = path.basename(file).replace(/\..*$/, '') || 'archive'
  const zip = new ZipFile()
  const stored = { compress: false, mtime: new Date(0) }
  zip.addBuffer(pickle, `${archive}/data.pkl`, stored)
  zip.addBuffer(Buffer.from('little'), `${archive}/byteorder`, stored)
  for (const [key, bytes] of storages) zip.addBuffer(bytes, `${archive}/data/${key}`, stored)
  zip.addBuffer(Buffer.from('3\n'), `${archive}/version`, stored)
  zip.end()
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp)
      out.on('close', () => resolve())
      out.on('error', reject)
      zip.outputStream.on('error', reject).pipe(out)
    })
    await fs.rename(tmp, file)
  } catch (e) {
    await fs.rm(tmp, { force: true })
    throw new Error(`${file}: cannot write: ${(e as Error).message}`)
  }
}
