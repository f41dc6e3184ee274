import { createBackend, ConcreteMode } from '../../lib/backend'
import { crossOriginIsolated } from '../../lib/backend/probe.browser'
import { agreement, opTable } from './agreement'

/**
 * The browser side of test/browser/browser.test.ts, bundled by bin/browser-bundle.cjs exactly as
 * the package's browser entry is (browser variants swapped in, the patched gpu.js): the test page
 * calls `rxTest.run(mode)` through puppeteer and gets plain JSON back.
 */
const run = async (mode: ConcreteMode, what: readonly ('ops' | 'agreement')[]) => {
  const backend = await createBackend(mode)
  try {
    return {
      mode: backend.mode,
      device: backend.device,
      threads: backend.threads,
      capabilities: backend.capabilities,
      isolated: crossOriginIsolated(),
      ops: what.includes('ops') ? await opTable(backend) : undefined,
      agreement: what.includes('agreement') ? await agreement(backend) : undefined,
    }
  } finally {
    await backend.destroy()
  }
}

;(globalThis as { rxTest?: unknown }).rxTest = { run }
