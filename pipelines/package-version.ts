import { existsSync, readFileSync } from 'fs'
import * as path from 'path'

/**
 * rxception's version from its package.json, beside the sources (pipelines/) or the compiled code
 * (dist/pipelines/); empty when neither is found (a bundled copy).
 *
 * @example
 * packageVersion() // '0.1.0'
 */
export const packageVersion = (): string => {
  const file = [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')].find(f => existsSync(f))
  try {
    return file ? String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? '') : ''
  } catch {
    return ''
  }
}
