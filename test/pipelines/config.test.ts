import test from 'ava'
import { mkdtempSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'
import { DEFAULT_CONFIG, ConfigError } from '../../pipelines/config'
import { parseTrainFlags } from '../../pipelines/train-flags'

test("timm's flag names map onto the config; booleans are bare flags; -b is --batch-size", t => {
  const c = parseTrainFlags(['--model', 'inception-resnet-v2', '-b', '2', '--opt', 'rmsprop', '--opt-eps', '1.0', '--no-aug', '--drop', '0', '--bn-momentum', '0.1', '--repeats', '1,2,1'])
  t.is(c.model, 'inception-resnet-v2')
  t.is(c.batchSize, 2)
  t.is(c.opt, 'rmsprop')
  t.is(c.optEps, 1)
  t.true(c.noAug)
  t.deepEqual(c.repeats, [1, 2, 1])
  t.is(c.epochs, DEFAULT_CONFIG.epochs)
})

test('a bad value or an unknown flag is one line naming the flag, the value and what is allowed', t => {
  const cases: [string[], RegExp][] = [
    [['--lr', 'abc'], /^--lr: expected a decimal number, got 'abc'$/],
    [['--lr', '0x10'], /^--lr: expected a decimal number/],
    [['--opt', 'adam'], /--opt: expected rmsproptf \| rmsprop \| sgd, got "adam"/],
    [['--momentum', '1.5'], /--momentum: expected a number in \[0, 1\), got 1\.5/],
    [['--epochs', '2.5'], /--epochs: expected an integer in \[1, 100000\]/],
    [['--model', 'constructor'], /--model: expected inception-v4 \| inception-resnet-v1 \| inception-resnet-v2/],
    [['--frob', '1'], /unknown option --frob/],
    [['--in-chans', '2'], /--in-chans: expected 1 \| 3, got 2/],
    [['--lr'], /--lr: needs a value/],
  ]
  for (const [argv, message] of cases) {
    const e = t.throws(() => parseTrainFlags(argv), { instanceOf: ConfigError }, argv.join(' '))
    t.regex(e!.message, message, argv.join(' '))
    t.false(e!.message.includes('\n'))
  }
})

test('--config FILE.json gives options that flags override; its unknown keys are refused', t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-cfg-'))
  const file = path.join(dir, 'c.json')
  writeFileSync(file, JSON.stringify({ epochs: 3, lr: 0.01 }))
  const c = parseTrainFlags(['--config', file, '--lr', '0.02'])
  t.is(c.epochs, 3)
  t.is(c.lr, 0.02)
  writeFileSync(file, JSON.stringify({ epoch: 3 }))
  t.throws(() => parseTrainFlags(['--config', file]), { message: /--config: unknown option 'epoch'/ })
})
