/** The op benchmark's workloads (issue 2): the shapes that dominate Inception's compute. */
export type Pass = 'forward' | 'input grad' | 'filter grad'

export interface Workload {
  readonly name: string
  readonly kind: 'matmul' | 'conv'
  /** matmul: [M, K, N]; conv: NHWC input and HWIO filter. */
  readonly dims: readonly number[]
  readonly filter?: readonly number[]
  /** Multiply-adds × 2 of one pass (all three passes cost the same). */
  readonly flops: number
}

const convFlops = (x: readonly number[], w: readonly number[]) => 2 * x[0]! * x[1]! * x[2]! * w[0]! * w[1]! * w[2]! * w[3]!

export const WORKLOADS: readonly Workload[] = [
  { name: 'matmul 1024³', kind: 'matmul', dims: [1024, 1024, 1024], flops: 2 * 1024 ** 3 },
  { name: 'conv 3×3 35²×96→96 b8', kind: 'conv', dims: [8, 35, 35, 96], filter: [3, 3, 96, 96], flops: convFlops([8, 35, 35, 96], [3, 3, 96, 96]) },
  { name: 'conv 1×1 17²×1024→384 b8', kind: 'conv', dims: [8, 17, 17, 1024], filter: [1, 1, 1024, 384], flops: convFlops([8, 17, 17, 1024], [1, 1, 1024, 384]) },
]

export const PASSES: readonly Pass[] = ['forward', 'input grad', 'filter grad']

/** Median wall time of `reps` runs after one warm-up (which also compiles). */
export const timeMedian = async (reps: number, run: () => Promise<unknown>): Promise<number> => {
  await run()
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await run()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}
