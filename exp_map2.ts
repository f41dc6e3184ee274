import { GPU } from 'gpu.js'
const [R, C] = (process.env.SHAPE ?? '2312,192').split(',').map(Number) as [number, number]
const src = `function (a, b, t, u, v, w, s) {
  const c = this.thread.x;
  const i = this.thread.y * this.constants.C + c;
  return Math.max(a[i] * u[c] + v[c], 0);
}`
const n = R * C
const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i))
const u = new Float32Array(C).fill(1.1), v = new Float32Array(C).fill(0.1), E = new Float32Array(4)
;(async () => {
  for (const mode of ['sync', 'threaded']) {
    const gpu = new GPU({ mode: 'webasm' } as any)
    const k: any = gpu.createKernel(src as any, { output: [C, R], constants: { C }, flatOutput: true, asyncMode: mode === "threaded", precision: "single", threadMinCells: Number(process.env.TMC ?? 4096) } as any)
    if (mode === 'threaded') k.setPipeline?.(false)
    const call = mode === 'sync' ? () => k(a, E, E, u, v, E, 0) : async () => await k(a, E, E, u, v, E, 0)
    await call()
    const ts: number[] = []
    for (let r = 0; r < 15; r++) { const t0 = performance.now(); await call(); ts.push(performance.now() - t0) }
    ts.sort((x, y) => x - y)
    console.log(mode, ts[7]!.toFixed(3), 'ms', (ts[7]! * 1e6 / n).toFixed(2), 'ns/elem', k._lastRunPath)
    gpu.destroy()
  }
})()
;(async () => {
  await new Promise(r => setTimeout(r, 3000))
  const gpu = new GPU({ mode: 'webasm' } as any)
  const k: any = gpu.createKernel(src as any, { output: [C, R], constants: { C }, flatOutput: true, precision: 'single' } as any)
  k(a, E, E, u, v, E, 0)
  const e = k._active
  const T = (name: string, f: () => void) => { f(); const t0 = performance.now(); for (let r = 0; r < 20; r++) f(); console.log(' ', name, ((performance.now() - t0) / 20).toFixed(3), 'ms') }
  T('runSimd', () => e.runSimd(0, n, 0))
  T('run scalar', () => e.run(0, n, 0))
  T('set a', () => e.f32.set(a, e.layout.arrays.a.offset / 4))
  T('slice out', () => e.f32.slice(e.layout.outputOffset / 4, e.layout.outputOffset / 4 + n))
  T('whole call', () => k(a, E, E, u, v, E, 0))
  console.log(e.layout.arrays, e.layout.outputOffset, e.memory.buffer.byteLength)
  gpu.destroy()
})()
