import { existsSync } from 'fs'
import { cpus } from 'os'
import * as path from 'path'
import { Piscina } from 'piscina'
import { Key } from '../tensor'
import { DataRecord } from './example'
import { ImageTransform } from './image-transform'
import type { PrepareTask } from './prepare-worker'

/**
 * A pool of data worker threads, beside the kernels' pool: each decodes records (sharp, else the
 * JavaScript decoders) and applies the image transform; the pixels come back moved, not copied.
 * Built on piscina; its queue holds the tasks of the batches being prefetched, no more.
 *
 * @example
 * const pool = dataWorkers(2)
 * const pixels = await pool.prepare(dataset.record(0), evalTransform, [0, 0])
 * await pool.close()
 */
export interface DataWorkers {
  readonly size: number
  prepare(record: Exclude<DataRecord, { kind: 'example' }>, image: ImageTransform, key: Key): Promise<Float32Array>
  close(): Promise<void>
}

/**
 * The default number of data workers: half the cores (the other half run kernels), at least 1,
 * at most 4 (timm's -j default is 4). On this project's 2-core machines: 1.
 *
 * @example
 * defaultWorkers(8) // 4
 */
export const defaultWorkers = (cores = cpus().length): number => Math.max(1, Math.min(4, Math.floor(cores / 2)))

// lib/data in a checkout, dist/lib/data in the package: bin/ is beside lib/ or beside dist/
const WORKER_FILE = [path.join(__dirname, '..', '..', 'bin', 'data-worker.cjs'), path.join(__dirname, '..', '..', '..', 'bin', 'data-worker.cjs')].find(f => existsSync(f)) ?? 'bin/data-worker.cjs'

/**
 * Starts `n` data workers (n ≥ 1).
 *
 * @example
 * const pool = dataWorkers(defaultWorkers())
 */
export const dataWorkers = (n: number): DataWorkers => {
  if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new RangeError(`--workers: expected an integer in [0, 64], got ${n}`)
  const pool = new Piscina({
    filename: WORKER_FILE,
    minThreads: n,
    maxThreads: n,
    idleTimeout: 60_000,
    // libvips decodes on libuv's threads: a second record in flight lets one decode while the
    // worker normalises the other (1.3x the images/s of one at a time: 161.5-165.7 against 125.0 at 1 worker, bench --mode data)
    concurrentTasksPerWorker: 2,
    // the workers load no data at start; a decoded image is at most MAX_PIXELS × 3 bytes
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  })
  return {
    size: n,
    prepare: (record, image, key) => pool.run({ record, image, key } satisfies PrepareTask) as Promise<Float32Array>,
    close: () => pool.destroy(),
  }
}
