#!/usr/bin/env node
// An installed package runs the compiled CLI (dist/). A development checkout runs the TypeScript
// sources through tsx (a development dependency), so an edit takes effect without a build.
// libuv's file-system thread pool starts 4 threads on first use; on a machine with fewer cores that
// is more threads than the work needs (rxception's own workers are one per core): one per core, at most 4
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.min(4, Math.max(1, require('os').cpus().length)))
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
