import test from 'ava'
import { SUITE_DEFAULTS, SUITE_FLAGS } from '../../bench/suite'
import { parseCommand } from '../../lib/flags'
import { PREDICT_DEFAULTS, PREDICT_FLAGS, SUMMARY_DEFAULTS, SUMMARY_FLAGS } from '../../pipelines/commands'
import { parseEvaluateFlags } from '../../pipelines/evaluate'
import { modelChoice } from '../../pipelines/model-options'
import { parseTrainFlags } from '../../pipelines/train-flags'

/** One vocabulary: the same timm-named flags mean the same model on every command. */
const ARGV = ['--model', 'inception-v4', '--num-classes', '10', '--img-size', '75', '--in-chans', '1', '--drop', '0.3']
const EXPECTED = { model: 'inception-v4', classes: 10, size: 75, channels: 1, keep: 0.7 }

test('summary and predict read --model, --num-classes, --img-size, --in-chans and --drop as one model', t => {
  for (const [command, flags, defaults] of [['summary', SUMMARY_FLAGS, SUMMARY_DEFAULTS], ['predict', PREDICT_FLAGS, PREDICT_DEFAULTS]] as const) {
    const c = modelChoice(parseCommand(command, ARGV, flags, defaults as never).values as never)
    t.deepEqual({ model: c.model, classes: c.options.classes, size: c.input, channels: c.channels, keep: Number(c.options.dropoutKeep!.toFixed(6)) }, EXPECTED, command)
  }
})

test('train and evaluate read the same flags into the same configuration fields', t => {
  for (const config of [parseTrainFlags(ARGV), parseEvaluateFlags([...ARGV, '--weights', 'w.safetensors']).config]) {
    t.deepEqual({ model: config.model, classes: config.numClasses, size: config.imgSize, channels: config.inChans, keep: Number((1 - config.drop).toFixed(6)) }, EXPECTED)
  }
})

test('bench reads --model, --num-classes, --img-size and --in-chans (dropout is off in benchmarks)', t => {
  const { values } = parseCommand('bench', ARGV.slice(0, 8), SUITE_FLAGS, SUITE_DEFAULTS)
  t.deepEqual({ model: values.model, classes: values.numClasses, size: values.imgSize, channels: values.inChans }, { model: 'inception-v4', classes: 10, size: 75, channels: 1 })
})
