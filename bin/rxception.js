#!/usr/bin/env node
// V8's collector settings first, before anything allocates: changed later they broke V8's
// concurrent marker (bin/v8-flags.cjs)
require('./v8-flags.cjs').setStartupFlags()
// An installed package runs the compiled CLI (dist/). A development checkout runs the TypeScript
// sources through tsx (a development dependency), so an edit takes effect without a build.
// libuv's thread pool (file reads, and sharp's libvips decoding for the data workers) starts 4
// threads on first use: one per core instead, so a 2-core machine runs no more threads than cores
// and a large one decodes on all of them
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.min(128, Math.max(1, require('os').cpus().length)))
const fs = require('fs')
const path = require('path')
const sources = path.join(__dirname, '..', 'pipelines', 'cli.ts')
let tsx
try {
  tsx = fs.existsSync(sources) && require.resolve('tsx/cjs')
} catch {
  tsx = undefined
}
if (tsx) {
  require(tsx)
  require(sources)
} else {
  require(path.join(__dirname, '..', 'dist', 'pipelines', 'cli.js'))
}
