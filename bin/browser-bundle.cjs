/**
 * esbuild for the browser: bundles a TypeScript entry of this checkout into one ES module. It is
 * the one place that knows how the browser build differs from Node's:
 * - a module `X.ts` with a sibling `X.browser.ts` is replaced by it (the platform module, the
 *   gpu.js loader, the backend probes);
 * - gpu.js is its patched sources (`gpu.js/src/...`, which lib/backend/gpujs.browser.ts imports),
 *   never the stock `dist/` build that gpu.js's `browser` field names; every Node built-in (and
 *   `gl`) its sources `require` is an empty module: they use them only behind run-time checks;
 * - any other Node built-in reached from the entry is an error naming the importing file: the
 *   browser entry must not reach file readers or the CLI (a bare `process` is not an import:
 *   lib/platform.ts is the one place that reads it).
 * Used by pipelines/web/build.ts (the package's bundle and page), the browser tests and benchmarks.
 *
 * @example
 * await bundleForBrowser({ entry: 'lib/browser.ts', outfile: 'dist/web/rxception.mjs' })
 */
const { existsSync } = require('node:fs')
const path = require('node:path')
const { builtinModules } = require('node:module')
const esbuild = require('esbuild')

const root = path.join(__dirname, '..')
const BUILTINS = new Set([...builtinModules, ...builtinModules.map(m => `node:${m}`)])
/** Optional or Node-only packages gpu.js's sources require inside try/catch or run-time checks. */
const EMPTY_FOR_GPUJS = new Set(['gl'])

const insideGpujs = file => file.split(path.sep).includes('gpu.js')

const platformVariants = {
  name: 'rxception-browser',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async args => {
      if (args.pluginData?.inner) return undefined
      const spec = args.path
      if (BUILTINS.has(spec) || EMPTY_FOR_GPUJS.has(spec)) {
        if (insideGpujs(args.importer)) return { path: spec, namespace: 'empty' }
        return { errors: [{ text: `${path.relative(root, args.importer)} imports '${spec}', which a browser does not have (move it behind lib/platform.ts or a *.browser.ts variant)` }] }
      }
      if (!spec.startsWith('.') || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined
      const found = await build.resolve(spec, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { inner: true } })
      if (found.errors.length) return found
      const variant = found.path.replace(/\.ts$/, '.browser.ts')
      return variant !== found.path && existsSync(variant) ? { ...found, path: variant } : found
    })
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'module.exports = {}', loader: 'js' }))
  },
}

/**
 * Bundles `entry` (a path from the checkout's root) for browsers into `outfile`; returns esbuild's
 * metafile (what went in, and how big).
 */
const bundleForBrowser = async ({ entry, outfile, minify = true, format = 'esm' }) => {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format,
    platform: 'browser',
    target: 'es2022',
    minify,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [platformVariants],
  }).catch(e => {
    throw new Error(`browser bundle of ${entry}: ${(e.errors ?? []).map(x => x.text).join('; ') || e.message}`)
  })
  return result.metafile
}

module.exports = { bundleForBrowser }
