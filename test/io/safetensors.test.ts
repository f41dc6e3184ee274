import test from 'ava'
import { isLeft, isRight } from 'fp-ts/Either'
import { promises as fs } from 'fs'
import * as os from 'os'
import * as path from 'path'
import { exportStateDict, importStateDict, readSafetensors, writeSafetensors } from '../../lib/io'
import { flatten } from '../../lib/nn'
import { Tensor, keyFromSeed, normal } from '../../lib/tensor'
import { inceptionResNetV2 } from '../../modules'

const tmp = async (name: string) => path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'rxception-')), name)

/** A safetensors file from a raw header object and data bytes. */
const raw = async (header: unknown, data: Buffer, headerText = JSON.stringify(header)) => {
  const file = await tmp('raw.safetensors')
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(headerText)))
  await fs.writeFile(file, Buffer.concat([len, Buffer.from(headerText), data]))
  return file
}

const readError = async (file: string) => {
  const r = await readSafetensors(file)()
  if (!isLeft(r)) throw new Error('expected a failure')
  return r.left.message
}

test('write then read is exact, with metadata and order', async t => {
  const file = await tmp('a.safetensors')
  const a = normal(keyFromSeed(1), [3, 4])
  const b = Tensor.fromArray([2], [1.5, -2])
  const w = await writeSafetensors(file, [['x.a', a], ['x.b', b]], { format: 'pt' })()
  t.true(isRight(w))
  const r = await readSafetensors(file)()
  if (!isRight(r)) return t.fail(r.left.message)
  t.deepEqual([...r.right.tensors.keys()], ['x.a', 'x.b'])
  t.deepEqual(r.right.tensors.get('x.a')!.toArray(), a.toArray())
  t.deepEqual(r.right.tensors.get('x.b')!.shape, [2])
  t.deepEqual(r.right.metadata, { format: 'pt' })
})

test('F16 and BF16 are widened; I64 scalars are skipped and listed', async t => {
  const data = Buffer.alloc(2 * 2 + 2 * 2 + 8)
  data.writeUInt16LE(0x3c00, 0) // 1.0 in f16
  data.writeUInt16LE(0xc000, 2) // -2.0 in f16
  data.writeUInt16LE(0x3fc0, 4) // 1.5 in bf16
  data.writeUInt16LE(0x4040, 6) // 3.0 in bf16
  data.writeBigInt64LE(7n, 8)
  const file = await raw({
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
    'bn.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [8, 16] },
  }, data)
  const r = await readSafetensors(file)()
  if (!isRight(r)) return t.fail(r.left.message)
  t.deepEqual(r.right.tensors.get('h')!.toArray(), [1, -2])
  t.deepEqual(r.right.tensors.get('b')!.toArray(), [1.5, 3])
  t.deepEqual([...r.right.skipped], [['bn.num_batches_tracked', 'I64']])
})

test('malformed files are refused with errors naming the file and the key', async t => {
  const f32 = (n: number) => Buffer.alloc(4 * n)
  t.regex(await readError(await raw(null, f32(1), '{not json')), /raw\.safetensors: header is not valid JSON/)
  t.regex(await readError(await raw({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2))), /tensor 'w': data_offsets \[0, 16\] run past the data section \(8 bytes\): truncated file\?/)
  t.regex(await readError(await raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3))), /tensors 'a' and 'b' overlap/)
  t.regex(await readError(await raw({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, f32(1))), /tensor 'w': dtype: expected/)
  t.regex(await readError(await raw({ w: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] } }, f32(1))), /tensor 'w': .*(absurd|needs)/)
  t.regex(await readError(await raw({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(3))), /F32 \[3\] needs 12 bytes, data_offsets give 8/)
  t.regex(await readError(await raw({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1))), /tensor 'w': shape/)
  const huge = await tmp('huge.safetensors')
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(1n << 40n)
  await fs.writeFile(huge, len)
  t.regex(await readError(huge), /header length 1099511627776 exceeds the file/)
  t.regex(await readError(path.join(os.tmpdir(), 'no-such-file.safetensors')), /cannot open/)
})

test('a timm-named state dict round-trips exactly through PyTorch layout, strict by default', async t => {
  const net = inceptionResNetV2({ width: 1 / 16, repeats: [1, 1, 2], classes: 7 })
  const spec = net.spec([1, 75, 75, 3])
  const { params, state } = net.init(keyFromSeed(4), [1, 75, 75, 3])
  const file = await tmp('irv2.safetensors')
  t.true(isRight(await writeSafetensors(file, exportStateDict(params, state))()))
  const read = await readSafetensors(file)()
  if (!isRight(read)) return t.fail(read.left.message)
  t.deepEqual(read.right.tensors.get('conv2d_1a.conv.weight')!.shape, [2, 3, 3, 3], 'OIHW on disk')
  t.deepEqual(read.right.tensors.get('classif.weight')!.shape, [7, 96], '[out, in] on disk')
  const loaded = importStateDict(spec, read.right.tensors, file)
  if (!isRight(loaded)) return t.fail(loaded.left.message)
  const before = new Map([...flatten(params), ...flatten(state)].map(([k, v]) => [k, v.toArray()]))
  const after = [...flatten(loaded.right.params), ...flatten(loaded.right.state)]
  t.is(after.length, before.size)
  for (const [k, v] of after) t.deepEqual(v.toArray(), before.get(k), k)

  const tensors = new Map(read.right.tensors)
  tensors.delete('mixed_6a.branch0.bn.bias')
  tensors.set('extra.weight', Tensor.zeros([1]))
  tensors.set('classif.bias', Tensor.zeros([8]))
  const strict = importStateDict(spec, tensors, 'x.safetensors')
  if (!isLeft(strict)) return t.fail('strict load accepted a mismatched file')
  t.regex(strict.left.message, /missing \(1\): mixed_6a\.branch0\.bn\.bias/)
  t.regex(strict.left.message, /unexpected \(1\): extra\.weight/)
  t.regex(strict.left.message, /wrong shape \(1\): classif\.bias: file \[8\], model \[7\]/)
})

test('concurrent writers to one path each use their own temporary file; the result is one whole file; none is left behind', async t => {
  const file = await tmp('c.safetensors')
  const a = Tensor.fill([1000], 1)
  const b = Tensor.fill([1000], 2)
  const results = await Promise.all([writeSafetensors(file, [['x', a]], { who: 'ä' })(), writeSafetensors(file, [['x', b]], { who: 'b' })()])
  t.true(results.every(isRight))
  const r = await readSafetensors(file)()
  if (!isRight(r)) return t.fail(r.left.message)
  const x = r.right.tensors.get('x')!
  t.true(x.data.every(v => v === x.data[0]) && (x.data[0] === 1 || x.data[0] === 2))
  t.deepEqual(await fs.readdir(path.dirname(file)), ['c.safetensors'])
  const failed = await writeSafetensors(path.join(path.dirname(file), 'missing-dir', 'd.safetensors'), [['x', a]])()
  t.true(isLeft(failed))
})

test('as strict as the reference: duplicate keys, gaps and trailing bytes refused with the key and range; zero-size tensors accepted; non-finite weights refused', async t => {
  const f32 = (n: number) => Buffer.alloc(4 * n)
  const dupText = '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
  t.regex(await readError(await raw(null, f32(1), dupText)), /header: key 'w' appears twice/)
  // a nested key repeated under different tensors is not a duplicate
  const r0 = await readSafetensors(await raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)))()
  t.true(isRight(r0))
  t.regex(await readError(await raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3))), /bytes \[4, 8\) between 'a' and 'b' belong to no tensor/)
  t.regex(await readError(await raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2))), /bytes \[4, 8\) after 'a' belong to no tensor \(trailing data\)/)
  t.regex(await readError(await raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2))), /bytes \[0, 4\) between '\(start of the data section\)' and 'a'/)
  const zero = await readSafetensors(await raw({ e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1)))()
  if (!isRight(zero)) return t.fail(zero.left.message)
  t.deepEqual([...zero.right.tensors.keys()], ['a'])
  t.deepEqual([...zero.right.skipped], [['e', 'F32']])
  const nan = f32(2)
  nan.writeFloatLE(NaN, 4)
  t.regex(await readError(await raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, nan)), /tensor 'w': element 1 is NaN; weights must be finite/)
  t.regex(await readError(os.tmpdir()), /not a regular file/)
})
