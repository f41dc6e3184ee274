/**
 * The rxception command line. Commands so far:
 *   rxception backends      which gpu.js backends work here, what each runs on, and what auto picks
 *   rxception summary ...   a network's layer table and totals, computed from specs alone
 *   rxception bench [...]   the op benchmark (see bench/ops.ts for its options)
 */
import { availability, createBackend, modeFromEnv } from '../lib/backend'
import { MODEL_BOOLEANS, MODEL_FLAGS, MODEL_USAGE, buildModel, modelChoice, parseFlags } from './model-options'
import { formatPredictions, predict } from './predict'
import { summarize } from './summary'
import { evaluateCommand } from './evaluate'
import { trainCommand } from './train-command'

const usage = `usage: rxception <command>
  train [options]     stream-train a network (default: a small Inception-ResNet-v1 on the bundled MNIST digits); train --help
  evaluate --weights FILE [options]   top-1/top-5 and confusion matrix: centre, 10, 12 or 144 crops, ensembles; evaluate --help
  backends            list the gpu.js backends, their devices, and the one RXCEPTION_BACKEND (default auto) selects
  summary [options]   layer table of a network (output shapes, parameters, MACs) without computing anything
${MODEL_USAGE}
    --depth N          group rows by the first N path segments
  predict --weights FILE.safetensors [options] IMAGE...
                      top-5 ImageNet classes (timm's weights and preprocessing); --json adds all logits, --top K
  bench [options]     op benchmark vs TensorFlow.js: --backends webasm,cpu --peers tfjs-cpu,tfjs-wasm --reps 3 --out FILE`

const backends = async () => {
  for (const a of await availability()) {
    const status = a.probe.available ? (a.probe.software ? 'available (software-emulated: auto skips it)' : 'available') : `unavailable: ${a.probe.reason ?? ''}`
    console.log(`${a.mode.padEnd(11)} ${status}${a.probe.available ? ` — ${a.probe.device}` : ''}`)
  }
  const mode = modeFromEnv()
  const be = await createBackend(mode)
  console.log(`\nRXCEPTION_BACKEND=${mode} selects: ${be.mode} (${be.device})`)
  await be.destroy()
}

const main = async (argv: string[]) => {
  const [command] = argv
  switch (command) {
    case 'backends':
      return backends()
    case 'train':
      return trainCommand(argv.slice(1))
    case 'evaluate':
      return evaluateCommand(argv.slice(1))
    case 'summary': {
      const flags = parseFlags(argv.slice(1), [...MODEL_FLAGS, 'depth'], MODEL_BOOLEANS)
      const choice = modelChoice(flags)
      const depth = flags.has('depth') ? Number(flags.get('depth')) : Infinity
      console.log(summarize(buildModel(choice), [1, choice.input, choice.input, choice.channels], depth))
      return
    }
    case 'predict': {
      const images: string[] = []
      const flags = parseFlags(argv.slice(1), [...MODEL_FLAGS, 'weights', 'top'], [...MODEL_BOOLEANS, 'json'], images)
      const weights = flags.get('weights')
      if (!weights) throw new Error('predict: --weights FILE.safetensors is required (see the README for timm\'s released weights)')
      const be = await createBackend(modeFromEnv())
      const result = await predict(modelChoice(flags), weights, images, be, Number(flags.get('top') ?? 5))
      console.log(flags.has('json') ? JSON.stringify(result, null, 1) : formatPredictions(result))
      await be.destroy()
      return
    }
    case 'bench':
      process.argv = [process.argv[0]!, 'bench', ...argv.slice(1)]
      require('../bench/ops')
      return new Promise(() => undefined)
    case undefined:
    case '--help':
    case '-h':
      console.log(usage)
      return
    default:
      console.error(`rxception: unknown command '${command}'\n${usage}`)
      process.exitCode = 2
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  e => {
    console.error(`rxception: ${(e as Error).message}`)
    process.exit(1)
  },
)
