#!/usr/bin/env node
// An installed package runs the compiled CLI (dist/). A development checkout runs the TypeScript
// sources through tsx (a development dependency), so an edit takes effect without a build.
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
