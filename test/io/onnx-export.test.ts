import test from 'ava'
import * as ort from 'onnxruntime-web'
import { onnx } from 'onnx-proto'
import { createBackend } from '../../lib/backend'
import { ONNX_OPSET, exportOnnx } from '../../lib/io/onnx-export'
import { Tree, mapTree } from '../../lib/nn'
import { Tensor, foldInName, keyFromSeed, normal, uniform } from '../../lib/tensor'
import { NETWORKS } from '../../modules'

ort.env.wasm.numThreads = 1

/** Running statistics away from their initial 0 and 1, so that folding batch norm is really checked. */
const trainedLike = (state: Tree): Tree =>
  mapTree((t: Tensor, path: string) => (path.endsWith('running_var')
    ? uniform(foldInName(keyFromSeed(5), path), t.shape, 0.5, 2)
    : uniform(foldInName(keyFromSeed(6), path), t.shape, -0.3, 0.3)), state)

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0)
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)

for (const name of Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]) {
  test(`${name}: the exported ONNX model gives rxception's inference logits in ONNX Runtime, batch norm folded, any batch size`, async t => {
    const be = await createBackend('cpu')
    const net = NETWORKS[name]({ width: 1 / 8, classes: 10, dropoutKeep: 0.8 })
    const shape = [2, 75, 75, 3]
    const init = net.init(keyFromSeed(1), shape)
    const state = trainedLike(init.state)
    const x = normal(foldInName(keyFromSeed(1), 'x'), shape)
    const { y } = await net.apply(init.params, state, x, { training: false, key: keyFromSeed(0), backend: be })()
    const bytes = exportOnnx(net.graph!(shape), init.params, state, [75, 75, 3], { layout: 'nhwc', metadata: { model: name } })
    const model = onnx.ModelProto.decode(bytes)
    t.is(Number(model.opsetImport[0]!.version), ONNX_OPSET)
    const ops = new Set(model.graph!.node!.map(n => n.opType))
    t.false(ops.has('BatchNormalization'), 'batch norm folded into the convolutions')
    t.false(ops.has('Dropout'))
    t.deepEqual(model.metadataProps.map(p => [p.key, p.value]), [['model', name]])
    const session = await ort.InferenceSession.create(bytes)
    const out = await session.run({ input: new ort.Tensor('float32', x.data, shape) })
    const z = out.logits!.data as Float32Array
    t.deepEqual(out.logits!.dims, [2, 10])
    t.true(maxAbsDiff(z, y.data) <= 1e-4 * maxAbs(y.data), `max |diff| ${maxAbsDiff(z, y.data)} against max |logit| ${maxAbs(y.data)}`)
    // the batch is symbolic: one image gives the first row
    const one = await session.run({ input: new ort.Tensor('float32', x.data.slice(0, 75 * 75 * 3), [1, 75, 75, 3]) })
    t.true(maxAbsDiff(one.logits!.data as Float32Array, y.data.slice(0, 10)) <= 1e-4 * maxAbs(y.data))
    await be.destroy()
  })
}

test('the default layout is NCHW, as PyTorch and timm feed it: the same logits from the transposed image', async t => {
  const be = await createBackend('cpu')
  const net = NETWORKS['inception-resnet-v2']({ width: 1 / 8, classes: 4 })
  const shape = [1, 75, 75, 3]
  const init = net.init(keyFromSeed(2), shape)
  const x = normal(keyFromSeed(3), shape)
  const { y } = await net.apply(init.params, init.state, x, { training: false, key: keyFromSeed(0), backend: be })()
  const session = await ort.InferenceSession.create(exportOnnx(net.graph!(shape), init.params, init.state, [75, 75, 3]))
  const nchw = new Float32Array(x.size)
  for (let i = 0; i < 75 * 75; i++) for (let c = 0; c < 3; c++) nchw[c * 75 * 75 + i] = x.data[i * 3 + c]!
  t.deepEqual(session.inputNames, ['input'])
  const out = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, 75, 75]) })
  t.true(maxAbsDiff(out.logits!.data as Float32Array, y.data) <= 1e-4 * maxAbs(y.data))
  await be.destroy()
})

test('a parameter missing from the tree is one line naming it', t => {
  const net = NETWORKS['inception-v4']({ width: 1 / 8, classes: 4 })
  const shape = [1, 75, 75, 3]
  const { params, state } = net.init(keyFromSeed(2), shape)
  const { features, ...rest } = params as Record<string, Tree>
  t.truthy(features)
  t.throws(() => exportOnnx(net.graph!(shape), rest as Tree, state, [75, 75, 3]), { message: /^onnx export: parameter 'net\.features\.0\.conv\.weight' is missing$/ })
  t.throws(() => exportOnnx(net.graph!(shape), params, state, [75, 75]), { message: /^onnx export: the input shape must be \[height, width, channels\], got \[75, 75\]$/ })
})
