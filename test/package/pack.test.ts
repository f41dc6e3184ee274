import test from 'ava'
import { execFileSync } from 'child_process'
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'

/**
 * The package as a user gets it: `npm pack`, `npm install <tarball>` into an empty project, then
 * `require` and `import` (a small network's forward pass) and `npx rxception summary` there. The
 * install reads npm's cache first (CI's `npm ci` has just filled it) and compiles nothing: the patched
 * gpu.js sources come inside the package and gpu.js's optional native `gl` is not a dependency.
 */
const root = path.join(__dirname, '..', '..')
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 })

test('npm pack, npm install the tarball: require, import, TypeScript types and the CLI work in an empty project', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxc-pack-'))
  npm(['pack', '--pack-destination', dir, '--silent'], root)
  const tarball = readdirSync(dir).find(f => f.endsWith('.tgz'))
  if (!tarball) return t.fail('npm pack wrote no tarball')
  const listing = execFileSync('tar', ['tzf', path.join(dir, tarball)], { encoding: 'utf8' })
  t.true(listing.includes('package/dist/index.js') && listing.includes('package/dist/index.d.ts') && listing.includes('package/data/imagenet-classes.json'))
  t.false(listing.includes('package/test/'), 'tests are not shipped')
  t.true(listing.includes('package/dist/web/rxception.mjs') && listing.includes('package/dist/web/index.html') && listing.includes('package/dist/lib/browser.d.ts'), 'the browser bundle, its page and its types are shipped')
  const app = path.join(dir, 'app')
  execFileSync('mkdir', [app])
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  const installLog = npm(['install', path.join(dir, tarball), '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts'], app)
  // nothing compiles: no gl (ANGLE) build, no gpu.js package; the patched kernels' code generator comes inside rxception
  t.false(existsSync(path.join(app, 'node_modules', 'gl')), installLog)
  t.false(existsSync(path.join(app, 'node_modules', 'gpu.js')))
  t.true(listing.includes('package/dist/vendor/gpu.js/src/backend/web-assembly/function-node.js'))
  const caps = execFileSync('node', ['-e', "require('rxception').createBackend('webasm').then(async b => { console.log(JSON.stringify(b.capabilities)); await b.destroy() })"], { cwd: app, encoding: 'utf8' })
  t.is(caps.trim(), JSON.stringify({ tileGroups: 3, directStores: true, fusedMultiplyAdd: true }), 'the installed copy runs the patched kernels')
  writeFileSync(path.join(app, 'a.cjs'), `
const r = require('rxception')
;(async () => {
  const backend = await r.createBackend('cpu')
  const net = r.inceptionResNetV2({ width: 1 / 16, repeats: [1, 1, 1], classes: 4 })
  const { params, state } = net.init(r.keyFromSeed(0), [1, 75, 75, 3])
  const { y } = await net.apply(params, state, r.Tensor.zeros([1, 75, 75, 3]), { training: false, key: r.keyFromSeed(1), backend })()
  console.log(JSON.stringify(y.shape))
  await backend.destroy()
})()`)
  t.is(execFileSync('node', ['a.cjs'], { cwd: app, encoding: 'utf8' }).trim(), '[1,4]')
  writeFileSync(path.join(app, 'b.mjs'), `
import { createBackend, inceptionV4, keyFromSeed, Tensor } from 'rxception'
import { serial, dense, named, globalAvgPool } from 'rxception/nn'
const backend = await createBackend('cpu')
const net = serial(globalAvgPool(), named('fc', dense(3)))
const { params, state } = net.init(keyFromSeed(0), [2, 4, 4, 5])
const { y } = await net.apply(params, state, Tensor.ones([2, 4, 4, 5]), { training: false, key: keyFromSeed(1), backend })()
console.log(JSON.stringify(y.shape), typeof inceptionV4)
await backend.destroy()`)
  t.is(execFileSync('node', ['b.mjs'], { cwd: app, encoding: 'utf8' }).trim(), '[2,3] function')
  t.notThrows(() => execFileSync('node', ['-e', "require.resolve('rxception/package.json'); require('fs').accessSync(require.resolve('rxception').replace(/index\\.js$/, 'index.d.ts'))"], { cwd: app }))
  const summary = execFileSync('npx', ['--no-install', 'rxception', 'summary', '--model', 'inception-resnet-v2', '--width', '0.125', '--depth', '1'], { cwd: app, encoding: 'utf8' })
  t.regex(summary, /trainable parameters: [\d,]+/)
})
