/**
 * The rxception command line:
 *   rxception train [options]      stream-train a network (the README's main job)
 *   rxception evaluate [options]   top-1/top-5 and a confusion matrix: centre, 10, 12, 144 crops, ensembles
 *   rxception predict ...          top-k classes of images with timm's weights
 *   rxception summary ...          a network's layer table and totals, computed from specs alone
 *   rxception bench [...]          whole networks against TensorFlow.js (bench/suite.ts); --mode ops: single ops
 *   rxception backends             which gpu.js backends work here and what auto picks
 *   rxception serve                the browser page on a local server (cross-origin isolated)
 * Errors are one line, `rxception: <what>`, exit 1 (2 for a usage error); `--verbose` or
 * RXCEPTION_DEBUG=1 adds the stack.
 */
import { availability, createBackend, modeFromEnv } from '../lib/backend'
import { ConfigError, TrainConfig } from './config'
import { PREDICT_DEFAULTS, PREDICT_FLAGS, SUMMARY_DEFAULTS, SUMMARY_FLAGS } from './commands'
import { evaluateCommand } from './evaluate'
import { exportCommand } from './export'
import { parseCommand, usageOf } from '../lib/flags'
import { buildModel, modelChoice } from './model-options'
import { formatPredictions, isFailure, predict } from './predict'
import { summarize } from './summary'
import { trainCommand, trainConfigured } from './train-command'
import { sweepCommand } from './sweep'
import { launchCommand } from './launch'
import { experimentCommand } from './experiments'
import { serveCommand } from './serve'

const usage = `usage: rxception <command> [options]      (rxception <command> --help for its options)
  train               stream-train a network (default: inception-resnet-v1-tiny on the bundled MNIST digits)
  evaluate            top-1/top-5 and confusion matrix of weight files: centre, 10, 12 or 144 crops, ensembles
  predict IMAGE...    top-k ImageNet classes with timm's weights (--weights FILE.safetensors)
  sweep               independent runs from a grid or a list of option sets (--grid FILE, --index I; --merge DIR: their report)
  experiment NAME     the paper's findings measured: residual-scaling, residual-speed (--quick: minutes), with a report
  launch              a sweep or a sharded evaluation as a Slurm job array or a Kubernetes Indexed Job, with its merge job
  serve               the browser page (predict, train in a Web Worker) on a local server with the isolation headers
  export              a run for timm (--to timm-resume: train.py --resume continues it) or ONNX (--to onnx: a run, or --model with --weights)
  summary             layer table of a network (output shapes, parameters, MACs) without computing anything
  bench               networks vs TensorFlow.js and ONNX Runtime, same weights (--models, --sizes, --peers, --quick; --mode ops: single ops)
  backends            the gpu.js backends, their devices, and the one RXCEPTION_BACKEND (default auto) selects
  --verbose (or RXCEPTION_DEBUG=1) shows an error's stack`

// each sweep or experiment member as `train` runs it; one with a checkpoint resumes from it (a retried array task)
const runMember = (config: TrainConfig) => (config.resume ? trainCommand(['--resume', config.resume, '--output', config.output!]) : trainConfigured(config))

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

const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h')

const summaryCommand = (argv: readonly string[]) => {
  if (wantsHelp(argv)) return console.log(`usage: rxception summary [options]\n${usageOf(SUMMARY_FLAGS, SUMMARY_DEFAULTS)}`)
  const { values } = parseCommand('summary', argv, SUMMARY_FLAGS, SUMMARY_DEFAULTS)
  const choice = modelChoice(values)
  console.log(summarize(buildModel(choice), [1, choice.input, choice.input, choice.channels], values.depth ?? Infinity))
}

const predictCommand = async (argv: readonly string[]) => {
  if (wantsHelp(argv)) return console.log(`usage: rxception predict --weights FILE.safetensors [options] IMAGE...\n${usageOf(PREDICT_FLAGS, PREDICT_DEFAULTS)}`)
  const { values, positional } = parseCommand('predict', argv, PREDICT_FLAGS, PREDICT_DEFAULTS, { positional: true })
  if (!values.weights) throw new ConfigError('predict: --weights FILE.safetensors is required (see the README for timm\'s released weights)')
  if (positional.length === 0) throw new ConfigError('predict: give at least one image file')
  if (values.top > values.numClasses) throw new ConfigError(`--top: expected an integer in [1, ${values.numClasses}] (--num-classes), got ${values.top}`)
  const be = await createBackend(modeFromEnv())
  try {
    const results = await predict(modelChoice(values), values.weights, positional, be, values.top)
    const ok = results.filter(r => !isFailure(r))
    if (ok.length) console.log(values.json ? JSON.stringify(ok, null, 1) : formatPredictions(ok as Exclude<(typeof results)[number], { error: string }>[]))
    for (const r of results) if (isFailure(r)) console.error(`rxception: ${r.error}`)
    if (ok.length < results.length) {
      console.error(`rxception: ${results.length - ok.length} of ${results.length} images failed`)
      process.exitCode = 1
    }
  } finally {
    await be.destroy()
  }
}

const main = async (argv: string[]) => {
  const [command, ...rest] = argv
  switch (command) {
    case 'backends':
      return backends()
    case 'train':
      return trainCommand(rest)
    case 'evaluate':
      return evaluateCommand(rest)
    case 'summary':
      return summaryCommand(rest)
    case 'predict':
      return predictCommand(rest)
    case 'export':
      return exportCommand(rest)
    case 'sweep':
      return sweepCommand(rest, runMember)
    case 'experiment':
      return experimentCommand(rest, runMember)
    case 'launch':
      return launchCommand(rest)
    case 'serve':
      return serveCommand(rest)
    case 'bench': {
      // loaded on demand: the benchmark pulls in TensorFlow.js, a development dependency
      const { runNetworkBenchmark } = require('../bench/suite') as typeof import('../bench/suite')
      return runNetworkBenchmark(rest)
    }
    case undefined:
    case '--help':
    case '-h':
      console.log(usage)
      return
    default:
      throw new ConfigError(`unknown command '${command}' (train, evaluate, predict, sweep, experiment, launch, serve, export, summary, bench, backends)`)
  }
}

const verbose = process.argv.includes('--verbose') || process.env.RXCEPTION_DEBUG === '1'
main(process.argv.slice(2).filter(a => a !== '--verbose')).then(
  () => process.exit(process.exitCode ?? 0),
  e => {
    const message = (e as Error).message ?? String(e)
    console.error(`rxception: ${verbose ? (e as Error).stack ?? message : message.split('\n')[0]}`)
    process.exit(e instanceof ConfigError ? 2 : 1)
  },
)
