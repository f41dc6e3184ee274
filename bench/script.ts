/** Runs a benchmark script's main: exit 0 when done, else one line `bench: <message>` and exit 1 (2 for a usage error). */
export const runBenchScript = (main: () => Promise<unknown>): void => {
  main().then(
    () => process.exit(0),
    e => {
      const verbose = process.argv.includes('--verbose') || process.env.RXCEPTION_DEBUG === '1'
      console.error(`bench: ${verbose ? (e as Error).stack : (e as Error).message}`)
      process.exit((e as Error).name === 'ConfigError' ? 2 : 1)
    },
  )
}
