import test from 'ava'
import * as fc from 'fast-check'
import { isLeft } from 'fp-ts/Either'
import { promises as fs } from 'fs'
import * as os from 'os'
import * as path from 'path'
import { SafetensorsError, readSafetensors, writeSafetensors } from '../../lib/io'
import { Tensor } from '../../lib/tensor'

/**
 * Property: whatever is done to a valid file (bytes flipped, truncated, extended, the header's
 * length rewritten), the reader returns with either tensors whose sizes the header
 * honestly described or a SafetensorsError naming the file; it never throws, hangs, or allocates
 * past the file's own size.
 */
test('mutated safetensors files: always a typed result, never a throw, a hang or an outsized allocation', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rxc-fuzz-'))
  const valid = path.join(dir, 'valid.safetensors')
  await writeSafetensors(valid, [['a.weight', Tensor.fromArray([2, 3], [1, 2, 3, 4, 5, 6])], ['a.bias', Tensor.fromArray([3], [7, 8, 9])]], { format: 'pt' })()
  const base = await fs.readFile(valid)
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(base.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(base.length - 1), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('append' as const), at: fc.nat(64), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('length' as const), at: fc.nat(1 << 30), value: fc.constant(0) }),
  )
  let n = 0
  await t.notThrowsAsync(fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async ms => {
      let bytes = Buffer.from(base)
      for (const m of ms) {
        if (m.kind === 'flip') bytes[m.at % bytes.length] = m.value
        else if (m.kind === 'truncate') bytes = bytes.subarray(0, m.at)
        else if (m.kind === 'append') bytes = Buffer.concat([bytes, Buffer.alloc(m.at + 1, m.value)])
        else if (bytes.length >= 8) bytes.writeBigUInt64LE(BigInt(m.at), 0)
      }
      const file = path.join(dir, `m${n++}.safetensors`)
      await fs.writeFile(file, bytes)
      const r = await readSafetensors(file)()
      if (isLeft(r)) return r.left instanceof SafetensorsError && r.left.message.startsWith(file)
      const total = [...r.right.tensors.values()].reduce((s, v) => s + v.data.byteLength, 0)
      return total <= bytes.length && [...r.right.tensors.values()].every(v => v.data.every(Number.isFinite))
    }),
    { numRuns: 300, seed: 20261128 },
  ))
})
