import { createBackendOf } from './lib/backend/backend'
import { Tensor } from './lib/tensor'
import { conv2dFilterGrad, conv2dInputGrad, conv2d } from './lib/ops'
import { setDirectTileStores } from './lib/ops/internal/tile'
const shapes = (process.env.SHAPES ?? '8,3,3,1024,1,1,192;8,3,3,1024,1,1,384;8,7,7,384,1,1,96;8,17,17,64,3,3,96').split(';')
;(async () => {
  const be = createBackendOf('webasm', 'ab')
  for (const sh of shapes) {
    const [n, h, w, ci, kh, kw, co] = sh.split(',').map(Number) as number[]
    const x = Tensor.adopt([n!, h!, w!, ci!], Float32Array.from({ length: n! * h! * w! * ci! }, (_, i) => Math.sin(i)))
    const dy = Tensor.adopt([n!, h!, w!, co!], Float32Array.from({ length: n! * h! * w! * co! }, (_, i) => Math.cos(i)))
    const wt = Tensor.adopt([kh!, kw!, ci!, co!], Float32Array.from({ length: kh! * kw! * ci! * co! }, (_, i) => Math.cos(i)))
    const opts = { padding: 'same' as const }
    const ops: [string, () => Promise<unknown>][] = [['dw', () => conv2dFilterGrad(x, wt.shape, dy, opts, be)], ['dx', () => conv2dInputGrad(x.shape, wt, dy, opts, be)], ['fwd', () => conv2d(x, wt, undefined, opts, be)]]
    const res: Record<string, number[]> = {}
    for (let round = 0; round < 7; round++) for (const direct of [false, true]) {
      const restore = setDirectTileStores(direct)
      for (const [name, f] of ops) {
        if (round === 0) await f()
        const t0 = performance.now(); await f(); const t = performance.now() - t0
        ;(res[`${name}${direct ? ' direct' : ' untile'}`] ??= []).push(t)
      }
      restore()
    }
    const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1]!.toFixed(2)
    console.log(sh, Object.entries(res).map(([k, v]) => `${k} ${med(v)}`).join(' | '))
  }
  await be.destroy()
})()
