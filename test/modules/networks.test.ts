import test from 'ava'
import { readFileSync } from 'fs'
import * as path from 'path'
import { torchShape } from '../../lib/io'
import { countSpec, flattenSpec } from '../../lib/nn'
import { NETWORKS, inceptionResNetV1, inceptionResNetV2, inceptionV4 } from '../../modules'

const macs = (s: { rows: readonly { macs: number }[] }) => s.rows.reduce((a, r) => a + r.macs, 0)

test('inception-v4 totals: 42,679,816 affine, 42,648,232 beta-only, 63,168 statistics, 12.25 GMACs', t => {
  const s = inceptionV4().spec([1, 299, 299, 3])
  t.deepEqual(s.outputShape, [1, 1000])
  t.is(countSpec(s.params), 42679816)
  t.is(countSpec(inceptionV4({ gamma: false }).spec([1, 299, 299, 3]).params), 42648232)
  t.is(countSpec(s.state), 63168)
  t.true(Math.abs(macs(s) / 12.25e9 - 1) < 0.005, `${macs(s)}`)
})

test('inception-resnet-v2 totals: 55,843,464 affine; 55,813,192 + 60,544 without gamma (Keras 55,873,736); 13.16 GMACs', t => {
  const s = inceptionResNetV2().spec([1, 299, 299, 3])
  t.is(countSpec(s.params), 55843464)
  const keras = inceptionResNetV2({ gamma: false }).spec([1, 299, 299, 3])
  t.is(countSpec(keras.params), 55813192)
  t.is(countSpec(keras.state), 60544)
  t.is(countSpec(keras.params) + countSpec(keras.state), 55873736)
  t.true(Math.abs(macs(s) / 13.16e9 - 1) < 0.005, `${macs(s)}`)
})

test('inception-resnet-v1 totals as spec §5.4 (facenet trunk + FC 1000, and paper-literal)', t => {
  const ref = inceptionResNetV1().spec([1, 299, 299, 3])
  t.is(countSpec(ref.params), 24357096)
  t.is(countSpec(inceptionResNetV1({ gamma: false }).spec([1, 299, 299, 3]).params), 24342808)
  t.is(countSpec(ref.state), 28576)
  t.true(Math.abs(macs(ref) / 6.309e9 - 1) < 0.005)
  const paper = inceptionResNetV1({ variant: 'paper', gamma: false }).spec([1, 299, 299, 3])
  t.is(countSpec(paper.params), 22742808)
  t.is(countSpec(paper.state), 27040)
  t.true(Math.abs(macs(paper) / 6.206e9 - 1) < 0.005)
})

test('inception-resnet-v2 paper variant: v4 stem, 5/10/5 blocks, about 32.42 M parameters and 9.26 GMACs', t => {
  const s = inceptionResNetV2({ variant: 'paper', gamma: false }).spec([1, 299, 299, 3])
  t.true(Math.abs(countSpec(s.params) / 32.42e6 - 1) < 0.001, `${countSpec(s.params)}`)
  t.true(Math.abs(macs(s) / 9.26e9 - 1) < 0.005)
})

/** timm's keys and PyTorch shapes (conv OIHW, linear [out, in]) against ours (HWIO, [in, out]). */
const timmKeys = (file: string): Map<string, string> => {
  const rows = readFileSync(path.join(__dirname, '../fixtures/timm-state-dicts', file), 'utf8').split('\n')
  return new Map(rows.filter(l => l && !l.startsWith('#') && !l.includes('num_batches_tracked')).map(l => l.split('\t') as [string, string]))
}
const toTorch = (shape: readonly number[]): string => torchShape(shape).join('x')

for (const [name, file, make] of [['inception-v4', 'inception_v4.tsv', inceptionV4], ['inception-resnet-v2', 'inception_resnet_v2.tsv', inceptionResNetV2]] as const) {
  test(`${name}: parameter and state names and shapes equal timm's state dict`, t => {
    const s = make().spec([1, 299, 299, 3])
    const ours = new Map([...flattenSpec(s.params), ...flattenSpec(s.state)].map(([k, v]) => [k, toTorch(v)]))
    const theirs = timmKeys(file)
    t.deepEqual([...ours.keys()].filter(k => !theirs.has(k)), [], 'keys timm does not have')
    t.deepEqual([...theirs.keys()].filter(k => !ours.has(k)), [], 'timm keys we lack')
    t.deepEqual([...theirs].filter(([k, v]) => ours.get(k) !== v), [], 'shapes that differ')
  })
}

for (const name of Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]) {
  test(`${name}: 75x75 is the smallest valid input; 28x28 works with same-padded stride-2 layers`, t => {
    const make = NETWORKS[name]
    t.deepEqual(make().spec([2, 75, 75, 3]).outputShape, [2, 1000])
    const e = t.throws(() => make().spec([1, 74, 74, 3]))
    t.regex(e!.message, /does not fit/)
    t.deepEqual(make({ sameStride2: true, classes: 10 }).spec([1, 28, 28, 1]).outputShape, [1, 10])
  })
}

test.serial('describing a 299x299 network allocates no weights', t => {
  // the three networks hold 190 M parameters (760 MB as float32): a spec that initialised any layer
  // would show here as tens of MB of ArrayBuffers; describing shapes allocates none
  const before = process.memoryUsage().arrayBuffers
  const specs = Object.values(NETWORKS).map(make => make().spec([1, 299, 299, 3]))
  const grown = process.memoryUsage().arrayBuffers - before
  t.is(specs.length, 3)
  t.true(grown < 4 * 2 ** 20, `ArrayBuffers grew by ${grown} bytes`)
})

test('the auxiliary head: spec counts (v4 46,039,280, IR-v2 59,211,120), logits [main | aux], trunk names unchanged', t => {
  for (const [make, total] of [[inceptionV4, 46039280], [inceptionResNetV2, 59211120]] as const) {
    const withAux = make({ aux: true }).spec([1, 299, 299, 3])
    const without = make().spec([1, 299, 299, 3])
    t.deepEqual(withAux.outputShape, [1, 2000])
    t.is(countSpec(withAux.params), total)
    const names = flattenSpec(withAux.params).map(([k]) => k)
    t.deepEqual(names.filter(k => !k.startsWith('aux_logits.')).sort(), flattenSpec(without.params).map(([k]) => k).sort())
    t.true(names.includes('aux_logits.conv1.conv.weight'))
  }
  t.throws(() => inceptionV4({ aux: true }).spec([1, 75, 75, 3]), { message: /aux_logits.*does not fit/ })
})
