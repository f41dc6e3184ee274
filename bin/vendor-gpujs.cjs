#!/usr/bin/env node
/**
 * Copies the patched gpu.js (node_modules/gpu.js after `npm ci` applied patches/) into
 * dist/vendor/gpu.js: its package.json, licence and src/. Runs after tsc in `npm run build` (and so
 * in `prepare` and `npm pack`). The package then ships the kernels' code generator the checkout
 * runs (lib/backend/gpujs.ts loads the vendored copy when it exists) and depends on gpu.js's own
 * dependencies instead of gpu.js, whose optional `gl` would compile ANGLE from source on install.
 * Refuses to copy a gpu.js without the patch: a package must not quietly ship the slow kernels.
 */
const { cpSync, existsSync, mkdirSync, rmSync } = require('node:fs')
const { dirname, join } = require('node:path')

const root = join(__dirname, '..')
const from = dirname(require.resolve('gpu.js/package.json', { paths: [root] }))
const to = join(root, 'dist', 'vendor', 'gpu.js')
const codegen = require(join(from, 'src', 'backend', 'web-assembly', 'function-node.js'))
for (const part of ['arrayReturnSize', 'outputLayoutError']) {
  if (typeof codegen[part] !== 'function') {
    console.error(`rxception: ${from} lacks the code-generator patch (no ${part}); run \`npm ci\` to apply patches/`)
    process.exit(1)
  }
}
rmSync(to, { recursive: true, force: true })
mkdirSync(to, { recursive: true })
for (const f of ['package.json', 'LICENSE', 'src']) if (existsSync(join(from, f))) cpSync(join(from, f), join(to, f), { recursive: true })
console.log(`rxception: vendored the patched gpu.js into ${to}`)
