import test from 'ava'
import { isRight } from 'fp-ts/Either'
import { promises as fs } from 'fs'
import * as os from 'os'
import * as path from 'path'
import { PNG } from 'pngjs'
import { exportStateDict, writeSafetensors } from '../../lib/io'
import { keyFromSeed } from '../../lib/tensor'
import { modelChoice, parseFlags, MODEL_FLAGS, MODEL_BOOLEANS, buildModel } from '../../pipelines/model-options'
import { formatPredictions, imagenetClasses, predict } from '../../pipelines/predict'
import { backendFor } from '../helpers/backends'

test('the bundled class list has the 1000 ImageNet classes in index order', t => {
  const c = imagenetClasses()
  t.is(c.length, 1000)
  t.is(c[0], 'tench, Tinca tinca')
  t.regex(c[999]!, /^toilet tissue/)
})

test('predict: timm-named weights and a PNG give a top-5 with probabilities and all logits', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rxception-predict-'))
  const flags = parseFlags(['--model', 'inception-resnet-v2', '--width', '0.0625', '--repeats', '1,1,2', '--input', '75'], MODEL_FLAGS, MODEL_BOOLEANS)
  const choice = modelChoice(flags)
  const { params, state } = buildModel(choice).init(keyFromSeed(2), [1, 75, 75, 3])
  const weights = path.join(dir, 'w.safetensors')
  t.true(isRight(await writeSafetensors(weights, exportStateDict(params, state))()))
  const png = new PNG({ width: 120, height: 90 })
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256
  const image = path.join(dir, 'a.png')
  await fs.writeFile(image, PNG.sync.write(png))

  const [p] = await predict(choice, weights, [image], await backendFor('webasm'))
  t.is(p!.logits.length, 1000)
  t.is(p!.top.length, 5)
  t.true(p!.top.every((e, i) => i === 0 || e.probability <= p!.top[i - 1]!.probability))
  t.is(p!.top[0]!.class, imagenetClasses()[p!.top[0]!.index])
  t.regex(formatPredictions([p!]), /a\.png\n +\d+\.\d\d%/)

  await t.throwsAsync(predict(choice, weights, [path.join(dir, 'missing.jpg')], await backendFor('webasm')), { message: /missing\.jpg: cannot read/ })
  await fs.writeFile(path.join(dir, 'bad.jpg'), 'not an image')
  await t.throwsAsync(predict(choice, weights, [path.join(dir, 'bad.jpg')], await backendFor('webasm')), { message: /bad\.jpg: cannot decode: not a JPEG or PNG file/ })
  const other = modelChoice(parseFlags(['--model', 'inception-v4', '--width', '0.0625', '--input', '75'], MODEL_FLAGS, MODEL_BOOLEANS))
  await t.throwsAsync(predict(other, weights, [image], await backendFor('webasm')), { message: /w\.safetensors: state dict does not match the model\n  missing/ })
})

test('model options reject bad values with the flag named', t => {
  t.throws(() => modelChoice(parseFlags(['--repeats', '1,2'], MODEL_FLAGS, MODEL_BOOLEANS)), { message: /--repeats: expected three positive integers/ })
  t.throws(() => parseFlags(['--modle', 'x'], MODEL_FLAGS, MODEL_BOOLEANS), { message: /unknown option --modle/ })
  t.throws(() => modelChoice(parseFlags(['--variant', 'v3'], MODEL_FLAGS, MODEL_BOOLEANS)), { message: /--variant: expected ref or paper/ })
})
