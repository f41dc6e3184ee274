import { spawn } from 'child_process'

/** What an engine's run left: its exit status (null when it was killed) and its whole output. */
export interface EngineRun {
  status: number | null
  out: string
  /** The run printed its `finished` line and then did not exit; it was ended by the test. */
  lingered: boolean
}

/** A run that did its work: it exited 0, or it printed that it finished and then lingered at exit. */
export const completed = (run: EngineRun) => run.status === 0 || run.lingered

/**
 * Runs an engine (torchrun, sbatch, a Python script) to its end, asynchronously (ava's worker stays
 * responsive), in a process group of its own: when the launcher exits, whatever it left behind is
 * killed (torch 1.13's gloo can leave a rank spinning at exit after the run's files are written,
 * holding the output pipe open). Once the output matches `finished`, a launcher still running after
 * `lingerMs` more is ended and reported as `lingered` (the test then checks the files it wrote). A
 * hung engine is killed after `hangMs` and the test fails on its status.
 */
export const runEngine = (
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  { finished, lingerMs = 180_000, hangMs = 900_000 }: { finished?: RegExp; lingerMs?: number; hangMs?: number } = {},
) =>
  new Promise<EngineRun>(resolve => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, detached: true })
    let out = ''
    let lingered = false
    let lingering: NodeJS.Timeout | undefined
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal)
      } catch {
        // the group is gone already
      }
    }
    const read = (d: Buffer) => {
      out += d
      if (finished && !lingering && finished.test(out)) {
        lingering = setTimeout(() => {
          lingered = true
          group('SIGKILL')
        }, lingerMs)
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    const guard = setTimeout(() => group('SIGKILL'), hangMs)
    child.on('exit', status => {
      clearTimeout(guard)
      clearTimeout(lingering)
      group('SIGKILL')
      // what was written before the exit is read; a pipe a leftover process held is let go
      setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        resolve({ status, out, lingered })
      }, 200)
    })
  })
