import test from 'ava'
import { isRight } from 'fp-ts/Either'
import { promises as fs } from 'fs'
import * as os from 'os'
import * as path from 'path'
import { PNG } from 'pngjs'
import { exportStateDict, writeSafetensors } from '../../lib/io'
import { keyFromSeed } from '../../lib/tensor'
import { PREDICT_DEFAULTS, PREDICT_FLAGS } from '../../pipelines/commands'
import { parseCommand } from '../../lib/flags'
import { buildModel, modelChoice } from '../../pipelines/model-options'
import { formatPredictions, imagenetClasses, isFailure, predict } from '../../pipelines/predict'
import { backendFor } from '../helpers/backends'

test('the bundled class list has the 1000 ImageNet classes in index order', t => {
  const c = imagenetClasses()
  t.is(c.length, 1000)
  t.is(c[0], 'tench, Tinca tinca')
  t.regex(c[999]!, /^toilet tissue/)
})

test('predict: timm-named weights and a PNG give a top-5 with probabilities and all logits', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rxception-predict-'))
  const choice = modelChoice(parseCommand('predict', ['--model', 'inception-resnet-v2', '--width', '0.0625', '--repeats', '1,1,2', '--img-size', '75'], PREDICT_FLAGS, PREDICT_DEFAULTS).values)
  const { params, state } = buildModel(choice).init(keyFromSeed(2), [1, 75, 75, 3])
  const weights = path.join(dir, 'w.safetensors')
  t.true(isRight(await writeSafetensors(weights, exportStateDict(params, state))()))
  const png = new PNG({ width: 120, height: 90 })
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256
  const image = path.join(dir, 'a.png')
  await fs.writeFile(image, PNG.sync.write(png))

  const [r] = await predict(choice, weights, [image], await backendFor('webasm'))
  if (!r || isFailure(r)) return t.fail(r?.error)
  const p = r
  t.is(p!.logits.length, 1000)
  t.is(p!.top.length, 5)
  t.true(p!.top.every((e, i) => i === 0 || e.probability <= p!.top[i - 1]!.probability))
  t.is(p!.top[0]!.class, imagenetClasses()[p!.top[0]!.index])
  t.regex(formatPredictions([p!]), /a\.png\n +\d+\.\d\d%/)

  // bad images are reported one by one; the good one between them is still classified
  await fs.writeFile(path.join(dir, 'bad.jpg'), 'not an image')
  const mixed = await predict(choice, weights, [path.join(dir, 'missing.jpg'), image, path.join(dir, 'bad.jpg')], await backendFor('webasm'))
  t.deepEqual(mixed.map(m => (isFailure(m) ? m.error.replace(dir, 'DIR') : 'ok')), ['DIR/missing.jpg: cannot read: no such file', 'ok', 'DIR/bad.jpg: not a JPEG, PNG or WebP file'])
  const other = modelChoice(parseCommand('predict', ['--model', 'inception-v4', '--width', '0.0625', '--img-size', '75'], PREDICT_FLAGS, PREDICT_DEFAULTS).values)
  await t.throwsAsync(predict(other, weights, [image], await backendFor('webasm')), { message: /w\.safetensors: state dict does not match the model: missing \(\d+\): [^\n]*$/ })
})

test('model options reject bad values with the flag named', t => {
  t.throws(() => modelChoice(parseCommand('predict', ['--repeats', '1,2'], PREDICT_FLAGS, PREDICT_DEFAULTS).values), { message: /--repeats: expected three integers A,B,C/ })
  t.throws(() => parseCommand('predict', ['--modle', 'x'], PREDICT_FLAGS, PREDICT_DEFAULTS), { message: /unknown option --modle/ })
  t.throws(() => modelChoice(parseCommand('predict', ['--variant', 'v3'], PREDICT_FLAGS, PREDICT_DEFAULTS).values), { message: /--variant: expected ref \| paper, got "v3"/ })
})
