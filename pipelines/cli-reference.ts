/**
 * The command reference (docs/cli.md), generated from each command's `--help`, which the flag
 * tables print: `npm run docs:cli` writes it, and a test fails when the file and the tables differ,
 * so the reference cannot drift from the code.
 *
 *   node --import tsx pipelines/cli-reference.ts docs/cli.md
 */
import { execFileSync } from 'child_process'
import { writeFileSync } from 'fs'
import * as path from 'path'

const COMMANDS: readonly (readonly string[])[] = [[], ['train'], ['evaluate'], ['predict'], ['sweep'], ['experiment'], ['launch'], ['serve'], ['export'], ['summary'], ['bench'], ['bench', '--mode', 'ops'], ['bench', '--mode', 'data']]

const INTRO = `# Command-line reference

Generated from the flag tables by \`npm run docs:cli\` (\`pipelines/cli-reference.ts\`); a test
fails when this file and the tables differ.

Every command parses its flags the same way (\`lib/flags\`: an io-ts codec per option) and lists them
with \`rxception <command> --help\`. Option names are timm's where timm has the option
(\`--num-classes\`, \`--img-size\`, \`--in-chans\`, \`--drop\`, \`-b/--batch-size\`); the spellings of
earlier releases (\`--classes\`, \`--input\`, \`--channels\`, \`--dropout-keep\`) are refused with a hint
naming the new one. Numbers must be plain decimals (\`0x10\`, \`Infinity\` and empty values are
refused) within each option's range. An unknown flag or a bad value prints one line naming the
flag, the value and what is allowed, and exits 2; other failures print one line and exit 1;
\`--verbose\` or \`RXCEPTION_DEBUG=1\` adds the stack. \`predict\` classifies every image it can and
reports each one it cannot on its own line (exit 1 when any failed); images are refused from their
headers (not a regular file, over 64 MiB, over 25 million pixels).
`

/**
 * The reference as markdown: the intro, then each command's help text.
 *
 * @example
 * writeFileSync('docs/cli.md', cliReference())
 */
export const cliReference = (): string => {
  const cli = path.join(__dirname, '..', 'bin', 'rxception.js')
  const sections = COMMANDS.map(args => {
    const help = execFileSync(process.execPath, [cli, ...args, '--help'], { encoding: 'utf8' }).trimEnd()
    return `## rxception${args.length ? ` ${args.join(' ')}` : ''}\n\n\`\`\`\n${help}\n\`\`\`\n`
  })
  return [INTRO, ...sections].join('\n')
}

if (require.main === module) writeFileSync(process.argv[2] ?? 'docs/cli.md', cliReference())
