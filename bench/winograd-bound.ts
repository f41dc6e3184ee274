/**
 * Whether Winograd F(2×2, 3×3) can pay here (issue 19, item 1), before building it: for each
 * stride-1 3×3 layer of Inception-ResNet-v2 and Inception-v4 at 299 (batch 1), the direct
 * convolution against the multiply-adds Winograd would keep. F(2×2, 3×3) turns a 3×3 layer
 * over T = ⌈H/2⌉·⌈W/2⌉ output tiles into 16 products [T, cin]·[cin, cout] (2.25× fewer
 * multiply-adds), plus transforms of the input (16 values per tile and channel, 4× the input) and
 * of the output. The products run here as the fastest kernel we have for them, a 1×1 convolution
 * over [1, 1, T, cin] (conv2d's register tiles, fused multiply-adds): their time alone is a lower
 * bound on Winograd's, so a layer where it is not clearly under the direct convolution's cannot
 * gain. Medians of `--reps` calls after one that compiles, alternating direct and products.
 *
 *   node --expose-gc --no-incremental-marking --import tsx bench/winograd-bound.ts [--reps 7]
 */
import { createBackend } from '../lib/backend'
import { conv2d } from '../lib/ops'
import { Tensor, keyFromSeed, normal } from '../lib/tensor'
import { cpus, loadavg } from 'os'

interface Layer { readonly name: string; readonly hw: number; readonly cin: number; readonly cout: number; readonly padding: 'same' | 'valid' }

/** The stride-1 3×3 layers at 299 (shared/spec/inception.md), once per shape. */
const LAYERS: readonly Layer[] = [
  { name: 'IR-v2 conv2d_2a (147, valid)', hw: 149, cin: 32, cout: 32, padding: 'valid' },
  { name: 'IR-v2 conv2d_2b (147, same)', hw: 147, cin: 32, cout: 64, padding: 'same' },
  { name: 'IR-v2 conv2d_4a (71, valid)', hw: 73, cin: 80, cout: 192, padding: 'valid' },
  { name: 'IR-v2 block35 32→32 (35)', hw: 35, cin: 32, cout: 32, padding: 'same' },
  { name: 'IR-v2 block35 32→48 (35)', hw: 35, cin: 32, cout: 48, padding: 'same' },
  { name: 'IR-v2 block35 48→64 (35)', hw: 35, cin: 48, cout: 64, padding: 'same' },
  { name: 'IR-v2 mixed_6a 256→256 (35)', hw: 35, cin: 256, cout: 256, padding: 'same' },
  { name: 'v4 inception-A 64→96 (35)', hw: 35, cin: 64, cout: 96, padding: 'same' },
  { name: 'v4 inception-A 96→96 (35)', hw: 35, cin: 96, cout: 96, padding: 'same' },
]

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const median = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!

const main = async () => {
  const reps = flag('reps', 7)
  const be = await createBackend('webasm')
  console.log(`webasm (${be.device}), ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; medians of ${reps}`)
  console.log('layer | direct 3×3 ms | 16 products ms | products / direct | multiply-adds kept')
  for (const l of LAYERS) {
    const key = keyFromSeed(7)
    const out = l.padding === 'same' ? l.hw : l.hw - 2
    const tiles = Math.ceil(out / 2) ** 2
    const x = normal(key, [1, l.hw, l.hw, l.cin])
    const w = normal(keyFromSeed(8), [3, 3, l.cin, l.cout])
    // the transformed input and filter: the products' operands, with the products' shapes
    const v = normal(keyFromSeed(9), [1, 1, tiles, l.cin])
    const u = Array.from({ length: 16 }, (_, i) => normal(keyFromSeed(10 + i), [1, 1, l.cin, l.cout]))
    const direct = () => conv2d(x, w, undefined, { padding: l.padding }, be)
    const products = async () => {
      const ys: Tensor[] = []
      for (const ui of u) ys.push(await conv2d(v, ui, undefined, {}, be))
      return ys
    }
    await direct()
    await products()
    const d: number[] = []
    const p: number[] = []
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now()
      await direct()
      d.push(performance.now() - t0)
      t0 = performance.now()
      await products()
      p.push(performance.now() - t0)
    }
    const md = median(d)
    const mp = median(p)
    const kept = (16 * tiles) / (9 * out * out)
    console.log(`${l.name} | ${md.toFixed(2)} | ${mp.toFixed(2)} | ${(mp / md).toFixed(2)} | ${kept.toFixed(2)}`)
  }
  await be.destroy()
}

main().catch(e => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
