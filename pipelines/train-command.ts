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
 * exits at once); SIGTERM (Slurm's requeue, preemption or time limit, Kubernetes deleting the pod)
 * does the same and exits 143, so the engine counts the run as not finished. The backend is created here and released in `finally`.
 */
export const trainCommand = async (argv: readonly string[]): Promise<'finished' | 'stopped' | undefined> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(TRAIN_USAGE)
    return undefined
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
  return trainConfigured({ ...config, output: config.output ?? defaultOutput(config) }, resumed)
}

/**
 * One training run from a decoded config, as the CLI runs it (progress on stderr, SIGINT or
 * SIGTERM finishes the step and checkpoints, the backend released at the end): `train` and each
 * `sweep` member. Resolves to why the run ended: 'finished', or 'stopped' by a signal (after
 * SIGTERM the process's exit code is set to 143).
 *
 * @example
 * await trainConfigured(decodeConfig({ epochs: 1, output: 'run' }, 'mine')) // 'finished'
 */
export const trainConfigured = async (config: TrainConfig, resumed?: Parameters<typeof runTraining>[3]): Promise<'finished' | 'stopped'> => {
  const stop = new Subject<void>()
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(signal === 'SIGTERM' ? 143 : 130)
    interrupted = true
    // an engine's SIGTERM is followed by SIGKILL after its grace period (Slurm's KillWait, 30 s by
    // default; Kubernetes' terminationGracePeriodSeconds): the step in flight and a checkpoint must fit in
    // it (they do for the default network, in the Slurm test; a full network's CPU step may need longer)
    if (signal === 'SIGTERM') process.exitCode = 143
    console.error(`\n${signal === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted'}: finishing the current step and writing a checkpoint${signal === 'SIGINT' ? ' (Ctrl-C again to quit at once)' : ''}`)
    stop.next()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
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
    return done.reason
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await backend.destroy()
  }
}
