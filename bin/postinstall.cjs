#!/usr/bin/env node
/**
 * Applies patches/ (the gpu.js WebAssembly code-generator change, see patches/README.md) with
 * patch-package. Runs as npm's postinstall: in a checkout (`npm ci`) the patch is applied and a
 * failure stops the install; an installed copy of rxception has no patches/ folder and does
 * nothing (it carries the patched gpu.js sources in dist/vendor/gpu.js, see bin/vendor-gpujs.cjs).
 */
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { spawnSync } = require('node:child_process')

const root = join(__dirname, '..')
if (!existsSync(join(root, 'patches'))) process.exit(0)
let cli
try {
  cli = require.resolve('patch-package/dist/index.js', { paths: [root] })
} catch {
  console.error('rxception: patches/ found but patch-package is not installed; run `npm ci` (dev dependencies) to apply it')
  process.exit(0)
}
const run = spawnSync(process.execPath, [cli, '--error-on-fail'], { cwd: root, stdio: 'inherit' })
process.exit(run.status ?? 1)
