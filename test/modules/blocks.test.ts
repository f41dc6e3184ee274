import test from 'ava'
import { Layer, Spec, countSpec, numbered } from '../../lib/nn'
import * as m from '../../modules'

/**
 * Every per-block number of spec §5.5: output shape, parameters with batch-norm beta only and with
 * gamma too, batch-norm running statistics, and MACs (per image, at 299x299 for the stems).
 */
const macsOf = (s: Spec) => s.rows.reduce((a, r) => a + r.macs, 0)

interface Row {
  readonly name: string
  readonly block: (o: m.BlockOptions) => Layer
  readonly input: number[]
  readonly output: number[]
  readonly betaOnly: number
  readonly affine: number
  readonly stats: number
  readonly mmacs: number
}

const stem = (layers: (o: m.BlockOptions) => Layer[]) => (o: m.BlockOptions) => numbered(layers(o))

const rows: Row[] = [
  { name: 'v4 stem', block: stem(m.stemV4), input: [299, 299, 3], output: [35, 35, 384], betaOnly: 604864, affine: 605728, stats: 1728, mmacs: 2289.9 },
  { name: 'v4 Inception-A', block: m.inceptionA, input: [35, 35, 384], output: [35, 35, 384], betaOnly: 317024, affine: 317632, stats: 1216, mmacs: 387.6 },
  { name: 'Reduction-A (v4)', block: o => m.reductionA(o, m.REDUCTION_A.inceptionV4), input: [35, 35, 384], output: [17, 17, 1024], betaOnly: 2305056, affine: 2306112, stats: 2112, mmacs: 1097.2 },
  { name: 'v4 Inception-B', block: m.inceptionB, input: [17, 17, 1024], output: [17, 17, 1024], betaOnly: 2933984, affine: 2936256, stats: 4544, mmacs: 847.3 },
  { name: 'v4 Reduction-B', block: m.reductionBV4, input: [17, 17, 1024], output: [8, 8, 1536], betaOnly: 2745856, affine: 2747392, stats: 3072, mmacs: 511.1 },
  { name: 'v4 Inception-C', block: m.inceptionC, input: [8, 8, 1536], output: [8, 8, 1536], betaOnly: 4549824, affine: 4553088, stats: 6528, mmacs: 291.0 },
  { name: 'IR-v1 stem', block: stem(m.stemResNetV1), input: [299, 299, 3], output: [35, 35, 256], betaOnly: 614896, affine: 615552, stats: 1312, mmacs: 1882.7 },
  { name: 'IR-v1 IR-A', block: o => m.inceptionResNetA(o, 'v1'), input: [35, 35, 256], output: [35, 35, 256], betaOnly: 77248, affine: 77440, stats: 384, mmacs: 94.1 },
  { name: 'Reduction-A (IR-v1)', block: o => m.reductionA(o, m.REDUCTION_A.inceptionResNetV1), input: [35, 35, 256], output: [17, 17, 896], betaOnly: 1709056, affine: 1710080, stats: 2048, mmacs: 850.2 },
  { name: 'IR-v1 IR-B', block: o => m.inceptionResNetB(o, 'v1'), input: [17, 17, 896], output: [17, 17, 896], betaOnly: 689536, affine: 690048, stats: 1024, mmacs: 198.9 },
  { name: 'IR-v1 Reduction-B', block: o => m.reductionBResNet(o, 'v1'), input: [17, 17, 896], output: [8, 8, 1792], betaOnly: 3344256, affine: 3346176, stats: 3840, mmacs: 501.4 },
  { name: 'IR-v1 IR-C', block: o => m.inceptionResNetC(o, 'v1'), input: [8, 8, 1792], output: [8, 8, 1792], betaOnly: 1600000, affine: 1600768, stats: 1536, mmacs: 102.2 },
  { name: 'IR-v2 stem', block: stem(m.stemResNetV2), input: [299, 299, 3], output: [35, 35, 320], betaOnly: 440064, affine: 440992, stats: 1856, mmacs: 1668.2 },
  { name: 'IR-v2 IR-A', block: o => m.inceptionResNetA(o, 'v2'), input: [35, 35, 320], output: [35, 35, 320], betaOnly: 122928, affine: 123168, stats: 480, mmacs: 149.9 },
  { name: 'Reduction-A (IR-v2)', block: o => m.reductionA(o, m.REDUCTION_A.inceptionResNetV2), input: [35, 35, 320], output: [17, 17, 1088], betaOnly: 2663680, affine: 2664960, stats: 2560, mmacs: 1398.2 },
  { name: 'IR-v2 IR-B', block: o => m.inceptionResNetB(o, 'v2'), input: [17, 17, 1088], output: [17, 17, 1088], betaOnly: 1126112, affine: 1126784, stats: 1344, mmacs: 324.9 },
  { name: 'IR-v2 Reduction-B', block: o => m.reductionBResNet(o, 'v2'), input: [17, 17, 1088], output: [8, 8, 2080], betaOnly: 3878912, affine: 3880960, stats: 4096, mmacs: 585.4 },
  { name: 'IR-v2 IR-C', block: o => m.inceptionResNetC(o, 'v2'), input: [8, 8, 2080], output: [8, 8, 2080], betaOnly: 2034560, affine: 2035424, stats: 1728, mmacs: 130.0 },
  { name: 'IR-v2 Conv2d_7b_1x1', block: o => m.conv(o, 1536, 1), input: [8, 8, 2080], output: [8, 8, 1536], betaOnly: 3196416, affine: 3197952, stats: 3072, mmacs: 204.5 },
  { name: 'aux head v4 (1001 classes)', block: o => m.auxHead(o, 1001), input: [17, 17, 1024], output: [1001], betaOnly: 3359337, affine: 3360233, stats: 1792, mmacs: 6.5 },
  { name: 'aux head IR-v2 (1001 classes)', block: o => m.auxHead(o, 1001), input: [17, 17, 1088], output: [1001], betaOnly: 3367529, affine: 3368425, stats: 1792, mmacs: 6.7 },
]

for (const r of rows) {
  test(`${r.name}: shape, parameters, statistics and MACs as spec §5.5`, t => {
    const affine = r.block({ ...m.DEFAULT_BLOCK_OPTIONS, gamma: true }).spec([1, ...r.input])
    const beta = r.block({ ...m.DEFAULT_BLOCK_OPTIONS, gamma: false }).spec([1, ...r.input])
    t.deepEqual(affine.outputShape, [1, ...r.output])
    t.is(countSpec(beta.params), r.betaOnly)
    t.is(countSpec(affine.params), r.affine)
    t.is(countSpec(affine.state), r.stats)
    t.true(Math.abs(macsOf(affine) / 1e6 - r.mmacs) <= 0.05, `${(macsOf(affine) / 1e6).toFixed(2)} MMACs`)
  })
}
