/** One case of the network benchmark, as the suite hands it to a child process (bench/case.ts). */
export interface BenchCase {
  readonly engine: 'rxception' | 'tfjs-cpu' | 'tfjs-wasm' | 'torch'
  /** rxception's backend (webasm, cpu, ...); the peers' own backend is their engine. */
  readonly backend: string
  readonly network: string
  readonly classes: number
  readonly size: number
  readonly batch: number
  readonly pass: 'infer' | 'train'
  readonly warmup: number
  readonly reps: number
  /** The rxception case writes its logits (and loss, gradients) here; the peers read them. */
  readonly reference?: string
}
