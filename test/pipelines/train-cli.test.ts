import test from 'ava'
import { spawn } from 'child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'

/** The CLI as a user runs it: SIGINT mid-run writes a checkpoint and exits 0; --resume continues it. */
const cli = path.join(__dirname, '..', '..', 'bin', 'rxception.js')

const children = new Set<ReturnType<typeof spawn>>()
// a test that fails or times out must not leave a training process behind
process.on('exit', () => children.forEach(c => c.kill('SIGKILL')))

const run = (args: string[], onStderr?: (all: string, child: ReturnType<typeof spawn>) => void, feed?: (child: ReturnType<typeof spawn>) => void) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>(resolve => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'] })
    children.add(child)
    feed?.(child)
    // a hung run is killed (and the test then fails on its exit code) rather than outliving ava
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', d => (stdout += d))
    child.stderr!.on('data', d => {
      stderr += d
      onStderr?.(stderr, child)
    })
    child.on('close', code => {
      clearTimeout(guard)
      children.delete(child)
      resolve({ code, stdout, stderr })
    })
  })

const events = (dir: string) => readFileSync(path.join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { type: string; step: number; reason?: string })

test('SIGINT finishes the step, writes the checkpoint and exits 0; --resume RUN continues to the end', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-cli-'))
  const data = path.join(dir, 'd.ndjson')
  writeFileSync(data, Array.from({ length: 16 }, (_, i) => JSON.stringify({ pixels: Array.from({ length: 64 }, (_, j) => ((i * 7 + j) % 5) / 4), shape: [8, 8, 1], label: i % 2 })).join('\n'))
  const out = path.join(dir, 'run')
  const args = ['train', '--data', `ndjson:${data}`, '--img-size', '28', '--width', '0.0625', '-b', '4', '--epochs', '5000', '--log-interval', '1', '--output', out, '--backend', 'webasm']
  let sent = false
  const first = await run(args, (all, child) => {
    if (!sent && /Train: 0 \[ +2\/4 /.test(all)) {
      sent = true
      child.kill('SIGINT')
    }
  })
  t.is(first.code, 0, first.stderr)
  t.true(sent)
  const e1 = events(out)
  const done = e1[e1.length - 1]!
  t.is(done.type, 'done')
  t.is(done.reason, 'stopped')
  t.true(done.step >= 3 && done.step < 20000, `stopped at ${done.step}`)
  t.true(existsSync(path.join(out, 'last.ckpt.safetensors')))
  t.true(existsSync(path.join(out, 'model.safetensors')))
  t.regex(first.stderr, /interrupted: finishing the current step/)

  const second = await run(['train', '--resume', out, '--epochs', String(Math.ceil((done.step + 2) / 4))])
  t.is(second.code, 0, second.stderr)
  t.regex(second.stderr, new RegExp(`resuming from .* at step ${done.step}`))
  const e2 = events(out)
  t.is(e2[e2.length - 1]!.reason, 'finished')
  t.true(e2.length > e1.length, 'the resumed run appends to events.ndjson')
})

test('a bad flag is one line on stderr, exit 2 (a usage error), no stack trace', async t => {
  const r = await run(['train', '--momentum', '2'])
  t.is(r.code, 2)
  t.is(r.stderr.trim(), 'rxception: train: --momentum: expected a number in [0, 1), got 2')
})

test('an endless pipe into ndjson:- trains with --train-num-samples 640 and finishes its epochs without waiting for the end of input', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-pipe-'))
  const out = path.join(dir, 'run')
  let written = 0
  let open = true
  // writes lines for as long as the run reads them, honouring back-pressure; never ends the input
  const feed = (child: ReturnType<typeof spawn>) => {
    const stdin = child.stdin!
    stdin.on('error', () => (open = false))
    child.on('close', () => (open = false))
    const more = () => {
      while (open) {
        const n = written++
        const line = JSON.stringify({ pixels: Array.from({ length: 64 }, (_, j) => ((n * 7 + j) % 5) / 4), shape: [8, 8, 1], label: n % 2 })
        if (!stdin.write(`${line}\n`)) return void stdin.once('drain', more)
      }
    }
    more()
  }
  const r = await run(['train', '--data', 'ndjson:-', '--train-num-samples', '640', '--num-classes', '2', '--img-size', '28', '--width', '0.0625', '-b', '32', '--epochs', '2', '--output', out, '--backend', 'webasm'], undefined, feed)
  t.is(r.code, 0, r.stderr)
  const e = events(out)
  t.is(e.filter(x => x.type === 'epoch').length, 2)
  t.is(e[e.length - 1]!.reason, 'finished')
  t.is(e[e.length - 1]!.step, 40)
  // the run took its 1280 lines (and at most the prefetch and the pipe's buffer more) and ended with input still coming
  t.true(written >= 1280, `wrote ${written} lines`)
})
