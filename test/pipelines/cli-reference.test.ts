import test from 'ava'
import { readFileSync } from 'fs'
import * as path from 'path'
import { cliReference } from '../../pipelines/cli-reference'

test('docs/cli.md is what the flag tables print (npm run docs:cli regenerates it)', t => {
  const file = readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8')
  t.is(file, cliReference())
})
