import { existsSync } from 'fs'
import { createServer, Server } from 'http'
import * as path from 'path'
import * as t from 'io-ts'
import sirv from 'sirv'
import { Flags, ValuesOf, intIn, parseCommand, usageOf } from '../lib/flags'
import { ConfigError } from './config'
import { buildWeb, WEB_DIR } from './web/build'

/**
 * The headers that make a page cross-origin isolated, so webasm's worker threads get
 * SharedArrayBuffer: without them the page runs every kernel on one thread. Any static host that
 * sets these serves the built files as well.
 *
 * @example
 * res.setHeader('Cross-Origin-Opener-Policy', ISOLATION_HEADERS['Cross-Origin-Opener-Policy'])
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const

export const SERVE_FLAGS = {
  port: { kind: 'number', codec: intIn(0, 65535), help: 'the port (0: any free one)' },
  host: { kind: 'string', codec: t.string, help: 'the address to listen on (0.0.0.0: other machines too, but over plain http only localhost is a secure context: threads and WebGPU need https or a tunnel there)' },
  dir: { kind: 'string', codec: t.union([t.string, t.null], 'a folder'), help: 'serve this folder as it is (default: build the page into dist/web, then serve it)' },
} as const satisfies Flags
const SERVE_DEFAULTS: ValuesOf<typeof SERVE_FLAGS> = { port: 8080, host: '127.0.0.1', dir: null }

/**
 * Serves `dir` over HTTP with the isolation headers (sirv: static files, content types, ranges,
 * no directory listing). Resolves once listening, with the server and its URL.
 *
 * @example
 * const { server, url } = await serveDir('dist/web', 0)
 */
export const serveDir = (dir: string, port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> => {
  if (!existsSync(path.join(dir, 'index.html'))) throw new ConfigError(`serve: ${dir} has no index.html (build it: npm run build:browser)`)
  const files = sirv(dir, { dev: true, etag: true, setHeaders: res => { for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v) } })
  const server = createServer((req, res) => files(req, res, () => {
    res.statusCode = 404
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v)
    res.end('not found')
  }))
  return new Promise((resolve, reject) => {
    server.once('error', e => reject(new Error(`serve: cannot listen on ${host}:${port}: ${e.message}`)))
    server.listen(port, host, () => {
      const a = server.address()
      // a wildcard address is not one a browser can open: name this machine's loopback
      const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
      resolve({ server, url: `http://${shown}:${typeof a === 'object' && a ? a.port : port}/` })
    })
  })
}

/**
 * `rxception serve [--port 8080] [--host 127.0.0.1] [--dir DIR]`: builds the page (in a checkout)
 * and serves it until interrupted.
 *
 * @example
 * await serveCommand(['--port', '8080'])
 */
export const serveCommand = async (argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help') || argv.includes('-h')) return console.log(`usage: rxception serve [options]\n${usageOf(SERVE_FLAGS, SERVE_DEFAULTS)}`)
  const { values: v } = parseCommand('serve', argv, SERVE_FLAGS, SERVE_DEFAULTS)
  let dir = v.dir
  if (!dir) {
    dir = WEB_DIR
    if (canBuild()) await buildWeb(dir, s => console.error(s))
    else if (!existsSync(path.join(dir, 'index.html'))) throw new ConfigError(`serve: no built page at ${dir} and no bundler here (esbuild is a development dependency: run npm run build:browser in a checkout)`)
  }
  const { url } = await serveDir(dir, v.port, v.host)
  const remote = v.host === '0.0.0.0' || v.host === '::' ? '; from other machines over plain http the page is not a secure context (one thread, no WebGPU): serve it over https there' : ''
  console.error(`serving ${dir} at ${url} (cross-origin isolated at localhost: webasm runs worker threads${remote}); Ctrl-C stops`)
  await new Promise<never>(() => undefined)
}

/** A checkout with esbuild installed builds the page from its sources; an installed package serves what it ships. */
const canBuild = (): boolean => {
  try {
    require.resolve('esbuild')
    return existsSync(path.join(__dirname, 'web', 'app.ts'))
  } catch {
    return false
  }
}
