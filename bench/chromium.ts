import { existsSync } from 'fs'
import type { Browser } from 'puppeteer-core'

/**
 * Debian's Chromium, headless, driven by puppeteer-core (the real browser, not a stand-in). The GL
 * flags route WebGL and WebGPU to SwiftShader when there is no GPU (as on CI), so the GPU code
 * paths run in the browser too. `CHROMIUM` names another binary.
 */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-dev-shm-usage', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist', '--enable-unsafe-webgpu',
]

export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the browser tests need Chromium (apt-get install chromium; .ci/run installs it) or CHROMIUM=/path/to/chrome`)
  const { launch } = await import('puppeteer-core')
  // a training step on SwiftShader or a loaded machine can keep a page busy for minutes
  return launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, protocolTimeout: 600_000 })
}
