import test from 'ava'
import { GPU } from 'gpu.js'
import { Backend, capabilitiesOf, createBackendOf } from '../../lib/backend'

/**
 * The gpu.js WebAssembly code-generator patch (patches/gpu.js+2.24.1.patch, applied by
 * `npm ci`): integer index arithmetic, contiguous v128.load for stride-1 lane reads, integer loop
 * counters. These tests prove it is applied and that every edge case it touches gives the same
 * values as the plain-JavaScript backend.
 */

/** Runs `source` on a backend and returns its flat output. */
const run = async (be: Backend, source: string, output: number[], args: unknown[], constants: Record<string, number> = {}): Promise<number[]> => {
  const key = `${source}|${output.join('x')}|${JSON.stringify(constants)}`
  const kernel = be.kernel(key, (gpu, settings) => gpu.createKernel(source, { ...settings, output, constants } as any))
  const flat: number[] = []
  const walk = (v: unknown): void => {
    if (typeof v === 'number') flat.push(v)
    else for (const e of Array.from(v as ArrayLike<unknown>)) walk(e)
  }
  walk(await kernel(...args))
  return flat
}

/** The bytes of every WebAssembly module compiled while `body` runs. */
const modulesCompiledBy = async (body: () => Promise<unknown>): Promise<Uint8Array[]> => {
  const original = WebAssembly.Module
  const seen: Uint8Array[] = []
  ;(WebAssembly as any).Module = function (bytes: BufferSource) {
    seen.push(new Uint8Array(bytes as ArrayBuffer))
    return new original(bytes)
  }
  try {
    await body()
  } finally {
    ;(WebAssembly as any).Module = original
  }
  return seen
}

/** How often a SIMD instruction's 3 bytes (0xfd, its opcode, the memarg's alignment or the opcode's second byte) occur. */
const countSimd = (bytes: Uint8Array, op: number, third: number): number => {
  let n = 0
  for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xfd && bytes[i + 1] === op && bytes[i + 2] === third) n++
  return n
}

/** v128.load with a 4-byte alignment hint: 0xfd 0x00 0x02. */
const countV128Loads = (bytes: Uint8Array): number => countSimd(bytes, 0x00, 0x02)

const ramp = (n: number, f = (i: number) => i % 97 - 40): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i))

test('a read past the array end in the last quad keeps its in-bounds lanes exact (all lanes active: loaded whole, as the scalar walk reads)', async t => {
  const be = createBackendOf('webasm', 'test', 1)
  const a = ramp(256)
  const out = await run(be, 'function (a) { return a[this.thread.x + 250]; }', [8], [a])
  t.deepEqual(out.slice(0, 6), Array.from(a.slice(250, 256)))
  await be.destroy()
})

test.serial('the code-generator patch is applied: a stride-1 lane read compiles to v128.load, a stride-2 read does not', async t => {
  const be = createBackendOf('webasm', 'test', 1)
  const a = ramp(256)
  let contiguous: number[] = []
  let strided: number[] = []
  const withLoad = await modulesCompiledBy(async () => {
    contiguous = await run(be, 'function (a) { return a[this.thread.x + 4] * 2; }', [64], [a])
  })
  const withoutLoad = await modulesCompiledBy(async () => {
    strided = await run(be, 'function (a) { return a[this.thread.x * 2] * 2; }', [64], [a])
  })
  t.true(withLoad.some(m => countV128Loads(m) >= 1), 'the patched generator emits v128.load for a[thread.x + 4]; run `npm ci` to apply patches/')
  t.true(withoutLoad.length > 0)
  t.true(withoutLoad.every(m => countV128Loads(m) === 0))
  t.deepEqual(contiguous, Array.from({ length: 64 }, (_, i) => a[i + 4]! * 2))
  t.deepEqual(strided, Array.from({ length: 64 }, (_, i) => a[i * 2]! * 2))
  await be.destroy()
})

/** i32.trunc_sat_f32_s: 0xfc 0x00. */
const countTruncSats = (bytes: Uint8Array): number => {
  let n = 0
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xfc && bytes[i + 1] === 0x00) n++
  return n
}

test.serial('a store to an integral local is computed in i32: stepping an offset in a loop adds no float-to-int conversion', async t => {
  const be = createBackendOf('webasm', 'test', 1)
  const a = ramp(256)
  const b = Float32Array.of(3, 5)
  // the same reads: one offset stepped by a store in the loop, the other recomputed from the counter
  const stepped = 'function (a, b) { let p = Math.floor(b[0]); let s = 0; for (let k = 0; k < 8; k++) { s += a[p + this.thread.x]; p = p + 5; } return s; }'
  const indexed = 'function (a, b) { const p = Math.floor(b[0]); let s = 0; for (let k = 0; k < 8; k++) { s += a[p + 5 * k + this.thread.x]; } return s; }'
  const compile = async (source: string) => {
    let out: number[] = []
    const modules = await modulesCompiledBy(async () => { out = await run(be, source, [16], [a, b]) })
    return { out, conversions: modules.reduce((n, m) => n + countTruncSats(m), 0) }
  }
  const withStore = await compile(stepped)
  const without = await compile(indexed)
  t.true(without.conversions > 0, 'the floored table read converts once per walk')
  t.is(withStore.conversions, without.conversions, 'the store p = p + 5 converts nothing: it is an i32 add')
  t.deepEqual(withStore.out, without.out)
  t.deepEqual(withStore.out, Array.from({ length: 16 }, (_, x) => [0, 1, 2, 3, 4, 5, 6, 7].reduce((s, k) => s + a[3 + 5 * k + x]!, 0)))
  await be.destroy()
})

/** v128.load32_splat with a 4-byte alignment hint: 0xfd 0x09 0x02. */
const countLoadSplats = (bytes: Uint8Array): number => countSimd(bytes, 0x09, 0x02)

test.serial('a lane-uniform read used in vector arithmetic compiles to one v128.load32_splat, with the values of plain JavaScript', async t => {
  const wasm = createBackendOf('webasm', 'test', 1)
  const js = createBackendOf('cpu', 'test', 1)
  const a = ramp(64)
  const b = ramp(16, i => i * 0.25 - 1.5)
  // b[thread.y * 4 + j] is the same for the 4 lanes of a quad: loaded once, broadcast to every lane
  const source = 'function (a, b) { let s = 0; for (let j = 0; j < 4; j++) { s += a[this.thread.x + j] * b[this.thread.y * 4 + j]; } return s; }'
  let out: number[] = []
  const modules = await modulesCompiledBy(async () => {
    out = await run(wasm, source, [16, 4], [a, b])
  })
  t.true(modules.some(m => countLoadSplats(m) >= 1), 'the patched assembler fuses f32.load + f32x4.splat; run `npm ci` to apply patches/')
  t.deepEqual(out, await run(js, source, [16, 4], [a, b]))
  await Promise.all([wasm.destroy(), js.destroy()])
})

/** f32x4.relaxed_madd: 0xfd 0x85 0x02 (opcode 0x105 in LEB128). */
const countMadds = (bytes: Uint8Array): number => countSimd(bytes, 0x85, 0x02)

test.serial('fusedMultiplyAdd: a * b + c rounds once (relaxed SIMD) where the setting asks, twice where it does not; index arithmetic never fuses', async t => {
  const be = createBackendOf('webasm', 'test', 1)
  t.true(be.capabilities.fusedMultiplyAdd, 'relaxed SIMD is enabled for webasm (RXCEPTION_FMA unset)')
  // (1 + 2^-12)² - 1 = 2^-11 + 2^-24 exactly; rounded to float32 first, the product loses its 2^-24
  const a = Float32Array.from({ length: 8 }, () => 1 + 2 ** -12)
  const source = 'function (a, c) { return a[this.thread.x] * a[this.thread.x + 0] + c[this.thread.x * 1 + 0]; }'
  const c = new Float32Array(8).fill(-1)
  const runWith = async (fused: boolean) => {
    let out: number[] = []
    const modules = await modulesCompiledBy(async () => {
      const k = be.kernel(`${source}|${fused}`, (gpu, settings) => gpu.createKernel(source, { ...settings, output: [8], fusedMultiplyAdd: fused } as any))
      out = Array.from(await k(a, c) as ArrayLike<number>)
    })
    return { out, madds: modules.reduce((n, m) => n + countMadds(m), 0) }
  }
  const fused = await runWith(true)
  const plain = await runWith(false)
  t.true(fused.madds >= 1)
  t.is(plain.madds, 0)
  t.deepEqual(fused.out, Array(8).fill(2 ** -11 + 2 ** -24))
  t.deepEqual(plain.out, Array(8).fill(2 ** -11))
  await be.destroy()
})

test('RXCEPTION_FMA=0 turns fused multiply-add off; a bad value is refused by name; a test may ask for less', t => {
  t.false(capabilitiesOf('webasm', {}, { RXCEPTION_FMA: '0' }).fusedMultiplyAdd)
  t.false(capabilitiesOf('cpu', {}, {}).fusedMultiplyAdd)
  t.false(capabilitiesOf('webasm', { fusedMultiplyAdd: false }, {}).fusedMultiplyAdd)
  t.throws(() => capabilitiesOf('webasm', {}, { RXCEPTION_FMA: 'yes' }), { message: /^RXCEPTION_FMA: expected 0 \(off\) or 1/ })
  t.throws(() => capabilitiesOf('cpu', { fusedMultiplyAdd: true }, {}), { message: /fused multiply-add needs webasm/ })
})

/** Kernels each touching one rule of the patch; webasm must equal plain JavaScript exactly. */
const EDGE_CASES: readonly { name: string; source: string; output: number[]; constants?: Record<string, number> }[] = [
  { name: 'a tiled read with integer constants and loop counters', output: [16, 4], constants: { K: 8, N: 16 },
    source: `function (a) { let s = 0; for (let j = 0; j < this.constants.K; j++) { s += a[(this.thread.y * this.constants.K + j) * this.constants.N + this.thread.x]; } return s; }` },
  { name: 'an output width that is not a multiple of 4', output: [7, 3],
    source: 'function (a) { return a[this.thread.y * 7 + this.thread.x] + 1; }' },
  { name: 'the last quad ending exactly at the array end', output: [8],
    source: 'function (a) { return a[this.thread.x + 1016]; }' },
  { name: 'a read guarded by a lane-varying condition', output: [16],
    source: 'function (a) { let v = 0; if (this.thread.x % 3 === 0) { v = a[this.thread.x + 1]; } return v; }' },
  { name: 'a lane-varying early return', output: [16],
    source: 'function (a) { if (this.thread.x > 9) { return a[this.thread.x]; } return -a[this.thread.x + 2]; }' },
  { name: 'a reassigned local is not taken as the lane base', output: [16],
    source: 'function (a) { let i = this.thread.x; i = i * 2; return a[i]; }' },
  { name: 'negative stride', output: [16],
    source: 'function (a) { return a[100 - this.thread.x]; }' },
  { name: 'a fractional uniform part', output: [16, 2],
    source: 'function (a) { return a[Math.floor(this.thread.y / 2 + 0.5) + this.thread.x]; }' },
  { name: 'a loop counter mixed into float math', output: [16],
    source: 'function (a) { let s = 0; for (let j = 0; j < 5; j++) { s += j / 2 + a[j * 16 + this.thread.x]; } return s; }' },
  { name: 'a lane-varying trip count', output: [16],
    source: 'function (a) { let s = 0; for (let j = 0; j < this.thread.x; j++) { s += a[j + this.thread.x]; } return s; }' },
  { name: 'an index read from data, floored', output: [16],
    source: 'function (a, b) { const base = Math.floor(b[this.thread.x % 4]); return a[base + this.thread.x]; }' },
  { name: 'integral comparisons in i32 (<=, >, !== of counters and constants; a negative bound)', output: [16], constants: { K: 6 },
    source: 'function (a) { let s = 0; for (let j = -3; j <= this.constants.K; j++) { if (j > 2 && j !== 4) { s += a[j + this.thread.x + 3]; } } return s; }' },
  { name: 'an integral local initialized from counters and constants (computed in i32), used in float math too', output: [16, 2], constants: { W: 5 },
    source: 'function (a) { let s = 0; for (let k = 0; k < 3; k++) { const i = (this.thread.y * this.constants.W + k) * 7 - 2; s += a[i + 40 + this.thread.x] + i / 3; } return s; }' },
  { name: 'an integral local from a floored table read plus a counter', output: [16],
    source: 'function (a, b) { let s = 0; for (let k = 0; k < 4; k++) { const o = Math.floor(b[k]) + k; s += a[o + this.thread.x]; } return s; }' },
  { name: 'a local counted up with += and ++', output: [16],
    source: 'function (a) { let k = 3; k += 4; k++; return a[k * 8 + this.thread.x]; }' },
  { name: 'running offsets: locals stepped in a loop by constants, products and ++ (stored in i32)', output: [16, 2], constants: { C: 5 },
    source: 'function (a, b) { let p = Math.floor(b[1]) + this.thread.y; let q = 2; let r = 7; let s = 0; for (let k = 0; k < 6; k++) { s += a[p + this.thread.x] * a[q] + a[r]; p = p + 3; q += this.constants.C * 2; q = q - 1; r++; r *= 1; } return s; }' },
]

for (const c of EDGE_CASES) {
  test(`patched webasm equals plain JavaScript: ${c.name}`, async t => {
    const wasm = createBackendOf('webasm', 'test', 1)
    const js = createBackendOf('cpu', 'test')
    const args = [ramp(1024), Float32Array.of(0, 16, 32, 48)]
    const source = c.source.replace('function (a)', 'function (a, b)')
    t.deepEqual(await run(wasm, source, c.output, args, c.constants), await run(js, source, c.output, args, c.constants))
    await Promise.all([wasm.destroy(), js.destroy()])
  })
}

test('flatOutput: an Array(4) kernel returns one flat Float32Array (x fastest, 4 values per cell), the same values as the nested form', async t => {
  const be = createBackendOf('webasm', 'test', 1)
  const source = 'function (a) { const i = this.thread.y * 8 + this.thread.x; return [a[i], a[i] + 1, a[i] * 2, -a[i]]; }'
  const settingsOf = (flat: boolean) => (gpu: any, settings: any) => gpu.createKernel(source, { ...settings, output: [8, 3], returnType: 'Array(4)', ...(flat ? { flatOutput: true } : {}) })
  const a = ramp(24)
  const flat = await be.kernel('flat', settingsOf(true))(a)
  const nested = await be.kernel('nested', settingsOf(false))(a) as Float32Array[][]
  t.true(flat instanceof Float32Array)
  t.is((flat as Float32Array).length, 8 * 3 * 4)
  t.deepEqual(Array.from(flat as Float32Array), nested.flatMap(row => row.flatMap(cell => Array.from(cell))))
  t.deepEqual(Array.from((flat as Float32Array).slice(4, 8)), [a[1]!, a[1]! + 1, a[1]! * 2, -a[1]!])
  // a scalar kernel over a 2-D output: one flat array instead of one view per row
  const scalar = (flat: boolean) => (gpu: any, settings: any) => gpu.createKernel('function (a) { return a[this.thread.y * 8 + this.thread.x] * 3; }', { ...settings, output: [8, 3], ...(flat ? { flatOutput: true } : {}) })
  const rows = await be.kernel('rows', scalar(false))(a) as Float32Array[]
  const one = await be.kernel('one', scalar(true))(a)
  t.true(one instanceof Float32Array)
  t.deepEqual(Array.from(one as Float32Array), rows.flatMap(r => Array.from(r)))
  await be.destroy()
})

test('Array(8) and Array(12) returns (wider register tiles): every cell and component, on a width that is not a multiple of 4 and with a masked early return', async t => {
  const be = createBackendOf('webasm', 'test', 1)
  const a = ramp(64)
  for (const n of [8, 12]) {
    // thread (x, y) returns a[x + y] * 10 + c for component c; x = 5 returns early with all -1
    const comps = Array.from({ length: n }, (_, c) => `a[this.thread.x + this.thread.y] * 10 + ${c}`).join(', ')
    const source = `function (a) { if (this.thread.x === 5) { return [${Array(n).fill(-1).join(', ')}]; } return [${comps}]; }`
    const kernel = be.kernel(`wide${n}`, (gpu: any, settings: any) => gpu.createKernel(source, { ...settings, output: [10, 3], returnType: `Array(${n})`, flatOutput: true }))
    const out = Array.from(await kernel(a) as Float32Array)
    const expected: number[] = []
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 10; x++) {
        for (let c = 0; c < n; c++) expected.push(x === 5 ? -1 : a[x + y]! * 10 + c)
      }
    }
    t.deepEqual(out, expected, `Array(${n})`)
  }
  await be.destroy()
})

test('outputLayout: Array(n) components stored at x + y·rowStride + offset, on SIMD and scalar widths, masked, threaded; a layout that is not a permutation is refused', async t => {
  const a = ramp(64)
  for (const threads of [1, 2]) {
    const be = createBackendOf('webasm', 'test', threads)
    for (const [n, width] of [[4, 8], [8, 8], [12, 10], [8, 12]] as const) {
      // thread (x, y) returns a[x + y] * 10 + c for component c; x = 5 returns early with all -1
      const comps = Array.from({ length: n }, (_, c) => `a[this.thread.x + this.thread.y] * 10 + ${c}`).join(', ')
      const source = `function (a) { if (this.thread.x === 5) { return [${Array(n).fill(-1).join(', ')}]; } return [${comps}]; }`
      const height = 3
      // component c of row y goes to row y·n + c of a [height·n][width] matrix
      const outputLayout = { rowStride: n * width, componentOffsets: Array.from({ length: n }, (_, c) => c * width) }
      const kernel = be.kernel(`layout${n}x${width}`, (gpu: any, settings: any) =>
        gpu.createKernel(source, { ...settings, output: [width, height], returnType: `Array(${n})`, flatOutput: true, outputLayout, threadMinCells: 4 }))
      const out = Array.from(await kernel(a) as Float32Array)
      const expected = new Array<number>(width * height * n)
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < n; c++) expected[(y * n + c) * width + x] = x === 5 ? -1 : a[x + y]! * 10 + c
        }
      }
      t.deepEqual(out, expected, `Array(${n}), width ${width}, ${threads} thread(s)`)
    }
    await be.destroy()
  }
  const be = createBackendOf('webasm', 'test', 1)
  const twice = be.kernel('layoutTwice', (gpu: any, settings: any) =>
    gpu.createKernel('function (a) { return [a[0], a[1], a[2], a[3]]; }', { ...settings, output: [4], returnType: 'Array(4)', flatOutput: true, outputLayout: { rowStride: 0, componentOffsets: [0, 4, 4, 12] } }))
  await t.throwsAsync(async () => twice(a), { message: /outputLayout must store every value exactly once/ })
  await be.destroy()
})

test('outputLayout with layerStride: a 3-D output stores thread (x, y, z) at x + y·rowStride + z·layerStride + offset, SIMD and scalar, threaded; a 3-D output without it is refused', async t => {
  const a = ramp(64)
  for (const threads of [1, 2]) {
    const be = createBackendOf('webasm', 'test', threads)
    for (const [n, width] of [[8, 8], [4, 6]] as const) {
      const [height, depth] = [3, 2]
      // thread (x, y, z) returns a[x + y + z] * 10 + c; z picks a block of `width` columns of a [height·n][depth·width] matrix (conv2d's column blocks)
      const comps = Array.from({ length: n }, (_, c) => `a[this.thread.x + this.thread.y + this.thread.z] * 10 + ${c}`).join(', ')
      const columns = depth * width
      const outputLayout = { rowStride: n * columns, layerStride: width, componentOffsets: Array.from({ length: n }, (_, c) => c * columns) }
      const kernel = be.kernel(`layout3d${n}x${width}`, (gpu: any, settings: any) =>
        gpu.createKernel(`function (a) { return [${comps}]; }`, { ...settings, output: [width, height, depth], returnType: `Array(${n})`, flatOutput: true, outputLayout, threadMinCells: 4 }))
      const out = Array.from(await kernel(a) as Float32Array)
      const expected = new Array<number>(width * height * depth * n)
      for (let z = 0; z < depth; z++) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            for (let c = 0; c < n; c++) expected[(y * n + c) * columns + z * width + x] = a[x + y + z]! * 10 + c
          }
        }
      }
      t.deepEqual(out, expected, `Array(${n}), width ${width}, ${threads} thread(s)`)
    }
    await be.destroy()
  }
  const be = createBackendOf('webasm', 'test', 1)
  const flat = be.kernel('layout3dNoStride', (gpu: any, settings: any) =>
    gpu.createKernel('function (a) { return [a[0], a[1], a[2], a[3]]; }', { ...settings, output: [4, 1, 2], returnType: 'Array(4)', flatOutput: true, outputLayout: { rowStride: 16, componentOffsets: [0, 4, 8, 12] } }))
  await t.throwsAsync(async () => flat(a), { message: /outputLayout needs a 1-D or 2-D output, or a layerStride/ })
  // blocks of 4 columns one column apart overlap
  const overlap = be.kernel('layout3dOverlap', (gpu: any, settings: any) =>
    gpu.createKernel('function (a) { return [a[0], a[1], a[2], a[3]]; }', { ...settings, output: [4, 1, 2], returnType: 'Array(4)', flatOutput: true, outputLayout: { rowStride: 32, layerStride: 3, componentOffsets: [0, 8, 16, 24] } }))
  await t.throwsAsync(async () => overlap(a), { message: /outputLayout must store every value exactly once/ })
  await be.destroy()
})

test('a kernel whose sizes cannot change drops its parsed source once built, and parses again if it must assemble another module', t => {
  const gpu = new GPU({ mode: 'webasm' } as any)
  const a = ramp(64)
  const run = gpu.createKernel('function (a) { return a[this.thread.x] * 2 + 1; }' as any, { output: [64], precision: 'single', dynamicOutput: false, dynamicArguments: false, flatOutput: true } as any) as any
  const first = Array.from(run(a) as Float32Array)
  t.deepEqual(first, Array.from(a, v => Math.fround(v * 2 + 1)))
  t.is(run.kernel.functionBuilder, null)
  // as if the module cache had evicted its only module
  run.kernel._moduleCache.clear()
  run.kernel._active = null
  t.deepEqual(Array.from(run(a) as Float32Array), first)
  gpu.destroy()
})

test('threadMinCells: a small output split across two workers gives the same values as one thread', async t => {
  const source = 'function (a) { let s = 0; for (let i = 0; i < 64; i++) { s += a[i] * a[this.thread.x % 64]; } return s; }'
  const a = ramp(64)
  const values = async (threads: number, minCells: number) => {
    const be = createBackendOf('webasm', 'test', threads)
    const kernel = be.kernel('min', (gpu: any, settings: any) => gpu.createKernel(source, { ...settings, output: [200], flatOutput: true, threadMinCells: minCells }))
    const out = Array.from(await kernel(a) as Float32Array)
    await be.destroy()
    return out
  }
  const split = await values(2, 8)
  t.is(split.length, 200)
  t.deepEqual(split, await values(1, 4096))
})
