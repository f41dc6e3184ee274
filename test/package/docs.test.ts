import test from 'ava'
import { execFileSync } from 'child_process'
import { mkdtempSync, readFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'

/**
 * Every declaration the root entry exports (each namespace's members and the top-level names) has
 * TSDoc with an @example, read from TypeDoc's own model of the package; TypeDoc reports no warning.
 */
interface Reflection {
  readonly name: string
  readonly kind: number
  readonly comment?: { readonly blockTags?: readonly { readonly tag: string }[] }
  readonly signatures?: readonly { readonly comment?: Reflection['comment'] }[]
  readonly children?: readonly Reflection[]
}

const REFERENCE = 4194304 // a re-export of a declaration documented where it is declared
const NAMESPACE = 4
const INTERFACE_MEMBER_OWNERS = new Set([256]) // interface fields need a description, not an example

test('every export of the root entry has TSDoc with an example; TypeDoc builds without warnings', t => {
  const root = path.join(__dirname, '..', '..')
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'rxc-docs-')), 'api.json')
  const log = execFileSync('npx', ['typedoc', '--json', out, '--tsconfig', 'tsconfig.build.json', '--readme', 'none', '--disableSources', '--excludeInternal', '--logLevel', 'Warn', 'index.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  t.is(log.trim(), '', log)
  const api = JSON.parse(readFileSync(out, 'utf8')) as Reflection
  const hasExample = (r: Reflection) => [r.comment, ...(r.signatures ?? []).map(s => s.comment)].some(c => c?.blockTags?.some(b => b.tag === '@example'))
  const missing: string[] = []
  let checked = 0
  for (const top of api.children ?? []) {
    const members = top.kind === NAMESPACE ? top.children ?? [] : INTERFACE_MEMBER_OWNERS.has(top.kind) ? [] : [top]
    for (const r of members) {
      if (r.kind === REFERENCE) continue
      checked++
      if (!hasExample(r)) missing.push(top.kind === NAMESPACE ? `${top.name}.${r.name}` : r.name)
    }
  }
  t.true(checked > 250, `only ${checked} declarations found`)
  t.deepEqual(missing, [])
})
