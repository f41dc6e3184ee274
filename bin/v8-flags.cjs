/**
 * V8's garbage-collector settings for an rxception process, made before anything else runs:
 * bin/rxception.js requires this file first (plain JavaScript, so it runs before tsx or the
 * compiled CLI loads); bench/suite.ts passes the same flags on the command line of its case
 * processes (`startupFlags` in lib/platform.ts, which also reads what this file records).
 *
 * - `--no-incremental-marking` (unless RXCEPTION_INCREMENTAL_GC=1): atomic major collections,
 *   see `preferAtomicMarking` in lib/platform.ts for why and what it measured.
 * - `--expose-gc`: the webasm tensor arena asks for collections itself (lib/backend/arena.ts).
 *
 * Why here and not when the first backend is made: changing either flag while the process has
 * run for a while broke V8's concurrent marker. Inception-ResNet-v2 299 inference over the arena
 * with both flags set at run time ended by a signal in 3 of 22 runs (SIGSEGV in
 * ConcurrentMarking::RunMajor, or V8's fatal "unreachable code" there); with them on the command
 * line, 0 of 30; set first thing by this file, see docs/performance.md. A process that set them
 * this way (or had them on its command line) records it in `globalThis`, and lib/platform.ts
 * then leaves V8's flags alone and turns the arena on by default.
 *
 * @example
 * require('./v8-flags.cjs').setStartupFlags() // first line of an entry point
 */
const v8 = require('node:v8')
const vm = require('node:vm')

/** Where the settings are recorded: { gc, atomicMarking } (a symbol, so bundles and copies of this file agree). */
const RECORD = Symbol.for('rxception.v8-startup')

/**
 * Sets the flags (once per process) and records them with V8's gc function.
 *
 * @example
 * const { gc, atomicMarking } = setStartupFlags()
 */
const setStartupFlags = (env = process.env) => {
  if (globalThis[RECORD]) return globalThis[RECORD]
  const atomicMarking = (env.RXCEPTION_INCREMENTAL_GC || '').trim() !== '1'
  if (atomicMarking) v8.setFlagsFromString('--no-incremental-marking')
  if (typeof globalThis.gc !== 'function') v8.setFlagsFromString('--expose-gc')
  // set at run time, the flag exposes gc to contexts made afterwards only
  const gc = typeof globalThis.gc === 'function' ? globalThis.gc : vm.runInNewContext('gc')
  const record = Object.freeze({ gc, atomicMarking })
  Object.defineProperty(globalThis, RECORD, { value: record })
  return record
}

module.exports = { setStartupFlags, RECORD }
