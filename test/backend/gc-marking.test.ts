import test from 'ava'
import { spawnSync } from 'child_process'
import * as path from 'path'
import { preferAtomicMarking } from '../../lib/platform'

/**
 * A child process makes a backend (which calls preferAtomicMarking), then allocates 1 GiB of
 * ArrayBuffers 16 MiB at a time, dropping each: V8's external-memory limit starts a major
 * collection every 64 MiB. Its --trace-gc lines say how each collection marked.
 */
const gcTrace = (env: Record<string, string>) => {
  const script = `
    const { createBackendOf } = require(${JSON.stringify(path.join(__dirname, '../../lib/backend'))})
    const be = createBackendOf('cpu', 'test')
    let sum = 0
    for (let i = 0; i < 64; i++) { const a = new Float32Array(4 * 2 ** 20); a[i] = i; sum += a[i] }
    console.log('sum', sum)`
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--trace-gc', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } })
  if (r.status !== 0) throw new Error(r.stderr)
  const majors = r.stdout.split('\n').filter(l => /Mark-Compact|Mark-sweep/.test(l))
  return { majors, incremental: majors.filter(l => /since start of marking|incremental marking/.test(l)) }
}

test('a backend switches V8 to atomic marking: the collections that tensor allocations start are not incremental; RXCEPTION_INCREMENTAL_GC=1 keeps V8\'s default', t => {
  const atomic = gcTrace({ RXCEPTION_INCREMENTAL_GC: '0' })
  t.true(atomic.majors.length >= 4, `${atomic.majors.length} major collections for 1 GiB allocated`)
  t.deepEqual(atomic.incremental, [])
  const incremental = gcTrace({ RXCEPTION_INCREMENTAL_GC: '1' })
  t.true(incremental.incremental.length >= 4, `${incremental.incremental.length} of ${incremental.majors.length} collections incremental`)
})

test('RXCEPTION_INCREMENTAL_GC other than 0 or 1 is refused, naming the variable', t => {
  t.throws(() => preferAtomicMarking({ RXCEPTION_INCREMENTAL_GC: 'yes' }), { message: /^RXCEPTION_INCREMENTAL_GC: expected 0 .* got 'yes'$/ })
})
