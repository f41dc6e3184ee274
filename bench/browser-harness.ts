import { createBackend, ConcreteMode } from '../lib/backend'
import { gpujsPass } from './gpujs'
import { PASSES, WORKLOADS, timeMedian } from './workloads'

/**
 * The op benchmark's gpu.js passes inside Chromium: bundled by bin/browser-bundle.cjs (the browser
 * variants, the patched gpu.js) and called by `rxception bench --mode ops --browser` through
 * puppeteer, so the page's figures sit beside Node's in one run, same kernels, same machine.
 */
const run = async (mode: ConcreteMode, reps: number) => {
  const be = await createBackend(mode)
  try {
    const rows: { workload: string; pass: string; ms: number }[] = []
    for (const w of WORKLOADS) for (const pass of PASSES) rows.push({ workload: w.name, pass, ms: await timeMedian(reps, gpujsPass(be, w, pass)) })
    return { device: be.device, threads: be.threads, rows }
  } finally {
    await be.destroy()
  }
}

;(globalThis as { rxBench?: unknown }).rxBench = { run }
