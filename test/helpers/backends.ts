import { GPU } from 'gpu.js'
import { Backend, ConcreteMode, createBackend } from '../../lib/backend'
import { probeHeadlessGL } from '../../lib/backend/probe'

/**
 * The backends the kernel tests run on: cpu and webasm always, headlessgl when the optional gl
 * package loads and a display answers (CI runs the tests under xvfb-run), webgpu when
 * RXCEPTION_TEST_WEBGPU=1 (test/run.sh sets it once its probe found an adapter: Dawn's probe is
 * asynchronous and ava registers tests synchronously), or exactly the list in
 * RXCEPTION_TEST_BACKENDS (a listed backend that is missing fails its tests loudly).
 */
export const testModes = (): ConcreteMode[] => {
  const listed = process.env.RXCEPTION_TEST_BACKENDS
  if (listed) return listed.split(',').map(s => s.trim()).filter(Boolean) as ConcreteMode[]
  const modes: ConcreteMode[] = ['cpu']
  if (GPU.isWebAssemblySupported) modes.push('webasm')
  if (probeHeadlessGL().available) modes.push('headlessgl')
  if (process.env.RXCEPTION_TEST_WEBGPU === '1') modes.push('webgpu')
  return modes
}

const backends = new Map<ConcreteMode, Promise<Backend>>()

/** One backend per mode per test process, shared by the tests in a file. */
export const backendFor = (mode: ConcreteMode): Promise<Backend> => {
  let b = backends.get(mode)
  if (!b) {
    b = createBackend(mode)
    backends.set(mode, b)
  }
  return b
}
