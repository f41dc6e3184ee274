import * as path from 'path'
import { Subject } from 'rxjs'
import { createBackend } from '../lib/backend'
import { isTorchFile } from '../lib/io'
import { readTimmResume, timmResumeOptions } from './timm-resume'
import { TrainConfig, decodeConfig } from './config'
import { defaultOutput, loadResume, runTraining } from './train'
import { TRAIN_USAGE, parseTrainFlags } from './train-flags'

/**
 * `rxception train [options]`: the README's main job. Progress goes to stderr (a redrawn line on a
 * terminal); SIGINT finishes the current step, writes a checkpoint and exits 0 (a second SIGINT
 * exits at once). The backend is created here and released in `finally`.
 */
export const trainCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(TRAIN_USAGE)
    return
  }
  let config = parseTrainFlags(argv)
  let resumed: Parameters<typeof runTraining>[3]
  if (config.resume && (await isTorchFile(config.resume))) {
    // a timm checkpoint: its args, its weights, RMSpropTF's state, from the epoch after its own
    const r = await readTimmResume(config.resume)
    const base = decodeConfig(timmResumeOptions(r, line => console.error(line)), `${r.file} (its args)`)
    config = parseTrainFlags(argv, base)
    resumed = r
    console.error(`resuming timm's ${r.file} after its epoch ${r.parts.epoch} (${r.parts.source}, ${r.parts.optimizer ? "RMSpropTF's state continued" : 'no optimizer state in the file'})`)
  } else if (config.resume) {
    const r = await loadResume(config.resume)
    const base = decodeConfig(r.config, `${r.file} (its config)`)
    config = parseTrainFlags(argv, { ...base, output: base.output ?? path.dirname(r.file) })
    resumed = r.state
    console.error(`resuming from ${r.file} at step ${r.state.step}`)
  }
  await trainConfigured({ ...config, output: config.output ?? defaultOutput(config) }, resumed)
}

/**
 * One training run from a decoded config, as the CLI runs it (progress on stderr, SIGINT finishes
 * the step and checkpoints, the backend released at the end): `train` and each `sweep` member.
 *
 * @example
 * await trainConfigured(decodeConfig({ epochs: 1, output: 'run' }, 'mine'))
 */
export const trainConfigured = async (config: TrainConfig, resumed?: Parameters<typeof runTraining>[3]): Promise<void> => {
  const stop = new Subject<void>()
  let interrupted = false
  const onSigint = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    console.error('\ninterrupted: finishing the current step and writing a checkpoint (Ctrl-C again to quit at once)')
    stop.next()
  }
  process.on('SIGINT', onSigint)
  const backend = await createBackend(config.backend)
  const tty = process.stderr.isTTY
  try {
    const done = await runTraining(config, backend, {
      log: line => console.error(tty ? `\r\x1b[K${line}` : line),
      ...(tty ? { progress: (line: string) => process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 160) - 1)}`) } : {}),
      stop,
    }, resumed)
    console.error(`kernels compiled: ${done.compiledAfterFirstEpoch ?? 'n/a'} after the first epoch, ${done.compiledEnd} at the end; RSS ${done.rssAfterFirstEpochMiB ?? 'n/a'} MiB after the first epoch, ${done.rssEndMiB} MiB at the end`)
    console.log(JSON.stringify({ output: config.output, top1: done.top1, top5: done.top5, steps: done.step, seconds: Math.round(done.seconds), reason: done.reason }))
  } finally {
    process.off('SIGINT', onSigint)
    await backend.destroy()
  }
}
