// A data worker (lib/data/workers.ts starts these through piscina): an installed package runs the
// compiled worker from dist/, a development checkout the TypeScript source through tsx, as
// bin/rxception.js does for the CLI.
const fs = require('fs')
const path = require('path')
const { move } = require('piscina')
const source = path.join(__dirname, '..', 'lib', 'data', 'prepare-worker.ts')
let worker
if (fs.existsSync(source)) {
  require('tsx/cjs')
  worker = require(source)
} else {
  worker = require(path.join(__dirname, '..', 'dist', 'lib', 'data', 'prepare-worker.js'))
}
module.exports = async task => move(await worker.prepareInWorker(task))
