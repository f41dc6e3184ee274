import { promises as fs } from 'fs'
import { crc32 } from 'zlib'
import * as yauzl from 'yauzl'

/**
 * The members of a PyTorch `torch.save` file (a zip: `PREFIX/data.pkl`, `PREFIX/data/<key>`,
 * `PREFIX/version`), read with yauzl after checks that come before any byte is inflated: a regular
 * file under `maxBytes`, one top-level folder, at most `MAX_ENTRIES` members, only stored or
 * deflated members, and the members' declared sizes adding up to no more than twice the file (torch
 * stores its members uncompressed, so anything more is a zip bomb). yauzl checks each member's
 * actual size against its declared one while reading, and each member's CRC-32 is checked here (as
 * PyTorch's own reader does), so a flipped byte in a tensor is refused rather than loaded.
 *
 * @example
 * const { prefix, members } = await readTorchZip('last.pth.tar')
 * members.get(`${prefix}/data.pkl`)
 */
export interface TorchZip {
  readonly prefix: string
  readonly members: ReadonlyMap<string, Buffer>
}

export const MAX_ENTRIES = 1_000_000

export const readTorchZip = async (file: string, maxBytes: number, fail: (why: string) => never): Promise<TorchZip> => {
  const st = await fs.stat(file).catch(e => fail(`cannot open: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`))
  if (!st.isFile()) fail('not a regular file')
  if (st.size > maxBytes) fail(`${st.size} bytes is over the ${maxBytes}-byte limit for a checkpoint`)
  await checkZip64Locator(file, st.size, fail)
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true }, (e, z) => (e ? reject(e) : resolve(z!)))).catch(e =>
    fail(`not a PyTorch checkpoint (a zip archive) or truncated: ${(e as Error).message}`))
  try {
    const entries: yauzl.Entry[] = []
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        entries.push(e)
        if (entries.length > MAX_ENTRIES) return reject(new Error(`more than ${MAX_ENTRIES} members`))
        zip.readEntry()
      })
      zip.on('end', () => resolve())
      zip.on('error', reject)
      zip.readEntry()
    }).catch(e => fail(`corrupt zip: ${(e as Error).message}`))
    const declared = entries.reduce((n, e) => n + e.uncompressedSize, 0)
    if (declared > 2 * st.size + 1024 * 1024) fail(`its members declare ${declared} bytes from a ${st.size}-byte file (a zip bomb?); refused before inflating`)
    const odd = entries.find(e => e.compressionMethod !== 0 && e.compressionMethod !== 8)
    if (odd) fail(`member ${odd.fileName}: compression method ${odd.compressionMethod} (torch stores members; deflate is accepted)`)
    const prefixes = new Set(entries.map(e => e.fileName.split('/')[0]!))
    if (prefixes.size !== 1) fail(`expected one top-level folder in the zip, found ${prefixes.size}`)
    const prefix = [...prefixes][0]!
    const members = new Map<string, Buffer>()
    for (const e of entries) {
      if (e.fileName.endsWith('/')) continue
      members.set(e.fileName, await readEntry(zip, e).catch(err => fail(`member ${e.fileName}: ${(err as Error).message}`)))
    }
    return { prefix, members }
  } finally {
    zip.close()
  }
}

const readEntry = (zip: yauzl.ZipFile, e: yauzl.Entry): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    zip.openReadStream(e, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('cannot read'))
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const bytes = Buffer.concat(chunks)
        if (crc32(bytes) >>> 0 !== e.crc32 >>> 0) reject(new Error('CRC-32 mismatch (the file is damaged)'))
        else resolve(bytes)
      })
      stream.on('error', reject)
    }))

/**
 * yauzl 3.4 reads the zip64 end-of-central-directory record at the offset the locator gives
 * without checking it against the file, and a wild offset then throws inside its callback, past
 * any handler (found by the fuzz test). PyTorch's writer always adds zip64 records, so the locator
 * is checked here first, the way yauzl finds it: the last end-of-central-directory signature in the
 * final 64 KiB + 22 bytes, the locator 20 bytes before it.
 */
const checkZip64Locator = async (file: string, size: number, fail: (why: string) => never): Promise<void> => {
  const tail = Math.min(size, 0xffff + 22)
  const h = await fs.open(file, 'r')
  try {
    const b = Buffer.alloc(tail)
    await h.read(b, 0, tail, size - tail)
    for (let i = tail - 22; i >= 0; i--) {
      if (b.readUInt32LE(i) !== 0x06054b50) continue
      if (i >= 20 && b.readUInt32LE(i - 20) === 0x07064b50) {
        const at = Number(b.readBigUInt64LE(i - 12))
        if (at + 56 > size) fail(`corrupt zip: its zip64 end record is at byte ${at}, past the file's ${size} bytes`)
      }
      return
    }
  } finally {
    await h.close()
  }
}
