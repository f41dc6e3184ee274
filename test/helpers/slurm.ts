import { ChildProcess, execFileSync, spawn } from 'child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs'
import { cpus, hostname, tmpdir, totalmem } from 'os'
import * as path from 'path'
import { randomBytes } from 'crypto'

/** A one-machine Slurm cluster the test started: the environment its commands need, and its end. */
export interface Slurm {
  readonly env: NodeJS.ProcessEnv
  readonly dir: string
  /** Runs a Slurm command (squeue, scontrol, sacct...) against this cluster; its stdout. */
  command(cmd: string, args: readonly string[]): string
  /** The last lines of one of the daemons' logs (slurmctld.log, slurmd.log), for a failing test's message. */
  tail(log: string, lines: number): string
  /** Cancels what is left and ends the daemons. */
  stop(): void
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/**
 * Starts Debian's munge and Slurm (slurm-wlm) on loopback in a temporary folder, as
 * ../shared/notes/local-slurm.md describes: a munge key and munged on a private socket, a
 * slurm.conf with this host as controller and its one node (all its cores, linuxproc process
 * tracking), slurmctld and slurmd in the foreground as children of the test, and waits until the
 * node is idle. The daemons run as the test's user (SlurmUser and SlurmdUser), so the test needs no
 * root; a daemon that exits before the node is up fails the start with its log's last lines.
 * `cred_expire=10` shortens Slurm's 120-second delay before a requeued job may start again.
 */
export const startSlurm = async (): Promise<Slurm> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-slurm-'))
  // munged insists that every folder on the socket's path be searchable by all
  chmodSync(dir, 0o711)
  for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(path.join(dir, d), { mode: 0o711 })
  const key = path.join(dir, 'munge', 'munge.key')
  writeFileSync(key, randomBytes(1024), { mode: 0o400 })
  const socket = path.join(dir, 'munge', 'munge.socket')
  const host = hostname().split('.')[0]!
  const conf = path.join(dir, 'slurm.conf')
  const user = execFileSync('id', ['-un']).toString().trim()
  const port = 20000 + (process.pid % 20000)
  writeFileSync(conf, `ClusterName=rxception-test
SlurmctldHost=${host}(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${socket},cred_expire=10
SlurmUser=${user}
SlurmdUser=${user}
SlurmctldPort=${port}
SlurmdPort=${port + 1}
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${Math.floor(totalmem() / 2 ** 20 / 2)} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`)
  const env = { ...process.env, SLURM_CONF: conf }
  const daemons: ChildProcess[] = []
  let died: string | null = null
  const daemon = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { env, stdio: 'ignore' })
    child.on('exit', code => (died ??= `${path.basename(cmd)} exited ${code}`))
    daemons.push(child)
    return child
  }
  const tail = (log: string, lines: number) => {
    try {
      return readFileSync(path.join(dir, 'log', log), 'utf8').trim().split('\n').slice(-lines).join('\n')
    } catch {
      return 'none'
    }
  }
  const logs = () => ['slurmctld.log', 'slurmd.log'].map(f => `${f}: ${tail(f, 3).split('\n').join(' | ')}`).join('; ')
  const stop = () => {
    try {
      execFileSync('scancel', ['--full', '--user', user], { env, stdio: 'ignore' })
    } catch {
      // nothing to cancel, or the controller is down already
    }
    for (const d of daemons.reverse()) d.kill('SIGTERM')
  }
  try {
    daemon('/usr/sbin/munged', ['-F', '--key-file', key, '--socket', socket, '--pid-file', path.join(dir, 'munge', 'munged.pid'), '--log-file', path.join(dir, 'munge', 'munged.log'), '--seed-file', path.join(dir, 'munge', 'seed')])
    await sleep(500)
    daemon('/usr/sbin/slurmctld', ['-D', '-f', conf])
    daemon('/usr/sbin/slurmd', ['-D', '-f', conf])
    // the node registers within seconds; a generous guard for a busy machine
    for (let i = 0; ; i++) {
      let state = ''
      try {
        state = execFileSync('sinfo', ['-h', '-o', '%T'], { env }).toString().trim()
      } catch {
        // the controller is not listening yet
      }
      if (state === 'idle') break
      if (died) throw new Error(`Slurm did not come up: ${died} (${logs()})`)
      if (i > 240) throw new Error(`Slurm did not come up in 2 minutes (sinfo: '${state}'; ${logs()})`)
      await sleep(500)
    }
  } catch (e) {
    stop()
    throw e
  }
  return { env, dir, stop, tail, command: (cmd, args) => execFileSync(cmd, args, { env }).toString() }
}
