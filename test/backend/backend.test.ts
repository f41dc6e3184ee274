import test from 'ava'
import { Availability, modeFromEnv, pickAuto } from '../../lib/backend'
import { flatOutput } from '../../lib/backend/output'
import { isSoftwareAdapter, mayHaveGpu } from '../../lib/backend/probe'
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import * as path from 'path'

const probe = (available: boolean, device: string, software = false) => ({ available, device, software })
const found = (gl: ReturnType<typeof probe>, webgpu: ReturnType<typeof probe>): Availability[] => [
  { mode: 'webasm', probe: probe(true, 'cpu') },
  { mode: 'cpu', probe: probe(true, 'cpu') },
  { mode: 'headlessgl', probe: gl },
  { mode: 'webgpu', probe: webgpu },
]

test('auto never prefers a software-emulated GPU over webasm', t => {
  t.is(pickAuto(found(probe(true, 'llvmpipe (LLVM 15.0.6, 256 bits)', true), probe(true, 'lavapipe', true))).mode, 'webasm')
  t.is(pickAuto(found(probe(false, 'none'), probe(false, 'none'))).mode, 'webasm')
})

test('auto takes a hardware GPU, WebGPU first', t => {
  t.is(pickAuto(found(probe(true, 'NVIDIA H100'), probe(false, 'none'))).mode, 'headlessgl')
  t.is(pickAuto(found(probe(true, 'NVIDIA H100'), probe(true, 'nvidia hopper'))).mode, 'webgpu')
})

test('auto looks for a GPU only where Linux shows a GPU device node', t => {
  const dev = mkdtempSync(path.join(tmpdir(), 'rx-dev-'))
  t.false(mayHaveGpu('linux', dev), 'an empty /dev')
  mkdirSync(path.join(dev, 'dri'))
  writeFileSync(path.join(dev, 'dri', 'card0'), '')
  t.false(mayHaveGpu('linux', dev), 'a display card without a render node')
  writeFileSync(path.join(dev, 'nvidiactl'), '')
  t.false(mayHaveGpu('linux', dev), 'the NVIDIA control node alone')
  writeFileSync(path.join(dev, 'dri', 'renderD128'), '')
  t.true(mayHaveGpu('linux', dev), 'a render node')
  const nv = mkdtempSync(path.join(tmpdir(), 'rx-dev-'))
  writeFileSync(path.join(nv, 'nvidia0'), '')
  t.true(mayHaveGpu('linux', nv), 'an NVIDIA device')
  t.true(mayHaveGpu('darwin', dev), 'macOS: probe')
})

test('a WebGPU adapter is software when it says it is a fallback or is named as a known rasteriser', t => {
  t.true(isSoftwareAdapter({ info: { isFallbackAdapter: true } }, 'Google Vulkan'))
  t.true(isSoftwareAdapter({ isFallbackAdapter: true }, 'Google Vulkan'))
  t.true(isSoftwareAdapter({}, 'llvmpipe-llvm-15-0-6-256-bits- OpenGL version OpenGL ES 3.2 Mesa 22.3.6'))
  t.true(isSoftwareAdapter({}, 'Google SwiftShader'))
  t.false(isSoftwareAdapter({ info: { isFallbackAdapter: false } }, 'nvidia hopper'))
})

test('RXCEPTION_BACKEND selects the mode and rejects unknown ones', t => {
  t.is(modeFromEnv({}), 'auto')
  t.is(modeFromEnv({ RXCEPTION_BACKEND: 'cpu' }), 'cpu')
  t.regex(t.throws(() => modeFromEnv({ RXCEPTION_BACKEND: 'gpu' }))!.message, /expected one of auto, webasm, cpu, headlessgl, webgpu, webgl2, webgl, got 'gpu'/)
})

test('flatOutput takes contiguous row views without copying and copies scattered rows', t => {
  const buf = Float32Array.from([1, 2, 3, 4, 5, 6])
  const rows = [buf.subarray(0, 3), buf.subarray(3, 6)]
  const flat = flatOutput(rows, 6)
  t.is(flat.buffer, buf.buffer)
  t.deepEqual(Array.from(flat), [1, 2, 3, 4, 5, 6])
  const scattered = [Float32Array.from([1, 2]), Float32Array.from([3, 4])]
  t.deepEqual(Array.from(flatOutput(scattered, 4)), [1, 2, 3, 4])
  t.throws(() => flatOutput(scattered, 5), { message: /expected 5 values, got 4/ })
})
