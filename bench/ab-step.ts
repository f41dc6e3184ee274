/**
 * Interleaved A/B of whole training steps: this checkout against another (the commit before a
 * change), alternating, each run alone in its own process, so both see the same machine load.
 * A step is the training loop's own (trainStep: forward, loss, backward, the RMSProp update with
 * the paper's weight decay), on the same seeded network and batch; the losses are compared (a
 * change that is not bit-exact says so).
 *
 *   git worktree add /tmp/base COMMIT && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   npx tsx bench/ab-step.ts --base /tmp/base [--model inception-v4] [--size 75] [--batch 8] [--rounds 3] [--steps 3]
 *
 * Prints one JSON line per run and a summary: each side's median step, the ratio, peak RSS.
 * The children start with V8's flags on their command line (`startupFlags`), as the `rxception`
 * command's processes run: the tensor arena is on where the checkout makes it the default (since
 * 2705efc; an older base copies unless RXCEPTION_RESIDENT=1, so an A/B across it is arena against
 * copying; RXCEPTION_RESIDENT=0 turns it off on both sides).
 */
import { spawnSync } from 'child_process'
import * as os from 'os'
import * as path from 'path'
import { startupFlags } from '../lib/platform'

interface Run { root: string; medianMs: number; ms: number[]; loss: number; rssMiB: number; load: number }

const flag = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const median = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!

/** The child: `steps` timed steps (after one that compiles) with the modules of `root`. */
const child = async (root: string): Promise<void> => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createBackend } = require(path.join(root, 'lib/backend'))
  const { rmsproptf } = require(path.join(root, 'lib/optim'))
  const { trainStep } = require(path.join(root, 'lib/train/step'))
  const { constant } = require(path.join(root, 'lib/schedule'))
  const { keyFromSeed, normal, foldInName } = require(path.join(root, 'lib/tensor'))
  const { networkOf } = require(path.join(root, 'bench/network-of'))
  /* eslint-enable @typescript-eslint/no-require-imports */
  const batchSize = Number(flag('batch', '8'))
  const size = Number(flag('size', '75'))
  const be = await createBackend('webasm')
  const net = networkOf({ network: flag('model', 'inception-v4'), classes: 1000 })
  const shape = [batchSize, size, size, 3]
  const key = keyFromSeed(1)
  const { params, state } = net.init(key, shape)
  const labels = Array.from({ length: batchSize }, (_, i) => i)
  const batch = { x: normal(foldInName(key, 'x'), shape), labels, indices: labels, valid: batchSize }
  const optimizer = rmsproptf({ weightDecay: 4e-5 })
  const step = trainStep({ net, optimizer, schedule: constant(0.045), classes: 1000, smoothing: 0.1, backend: be })
  let st = { params, state, opt: optimizer.init(params), step: 0, key }
  st = (await step(st, batch)).state
  const ms: number[] = []
  let loss = 0
  for (let i = 0; i < Number(flag('steps', '3')); i++) {
    const t0 = performance.now()
    const r = await step(st, batch)
    ms.push(performance.now() - t0)
    st = r.state
    loss = r.loss
  }
  const run: Run = { root, medianMs: median(ms), ms: ms.map(Math.round), loss, rssMiB: Math.round(process.resourceUsage().maxRSS / 1024), load: os.loadavg()[0]! }
  console.log(JSON.stringify(run))
  await be.destroy()
}

const main = async (): Promise<void> => {
  const childRoot = flag('child', '')
  if (childRoot) return child(childRoot)
  const base = flag('base', '')
  if (!base) throw new Error('--base DIR: a checkout of the commit to compare against (see the head of bench/ab-step.ts)')
  const here = path.join(__dirname, '..')
  const passOn = ['model', 'size', 'batch', 'steps'].flatMap(f => (process.argv.includes(`--${f}`) ? [`--${f}`, flag(f, '')] : []))
  const runs: Run[] = []
  for (let r = 0; r < Number(flag('rounds', '3')); r++) {
    for (const root of [path.resolve(base), here]) {
      const out = spawnSync(process.execPath, [...process.execArgv, ...startupFlags(), __filename, '--child', root, ...passOn], { encoding: 'utf8' })
      const line = out.stdout.trim().split('\n').pop() ?? ''
      if (out.status !== 0 || !line.startsWith('{')) throw new Error(`${root}: the run failed: ${(out.stderr || line).trim().split('\n').pop()}`)
      process.stdout.write(line + '\n')
      runs.push(JSON.parse(line) as Run)
    }
  }
  const side = (root: string) => runs.filter(r => r.root === root)
  const [a, b] = [side(path.resolve(base)), side(here)]
  if (a.some(r => r.loss !== b[0]!.loss) || b.some(r => r.loss !== b[0]!.loss)) console.log('note: the two sides report different losses (the change is not bit-exact)')
  const ma = median(a.map(r => r.medianMs))
  const mb = median(b.map(r => r.medianMs))
  console.log(`base ${ma.toFixed(0)} ms/step, this checkout ${mb.toFixed(0)} ms/step: ${(ma / mb).toFixed(2)}× (peak RSS ${median(a.map(r => r.rssMiB))} → ${median(b.map(r => r.rssMiB))} MiB; load ${Math.min(...runs.map(r => r.load)).toFixed(2)}-${Math.max(...runs.map(r => r.load)).toFixed(2)})`)
}

main().catch(e => {
  console.error(String((e as Error).message ?? e).split('\n')[0])
  process.exit(1)
})
