import { Key } from '../tensor'
import { DataRecord } from './example'
import { ImageTransform } from './image-transform'
import { ExampleOp } from './transforms'
import { prepareRecord } from './prepare'

/** A data worker's task: one record, the transform, the example's key. */
export interface PrepareTask {
  readonly record: Exclude<DataRecord, { kind: 'example' }>
  readonly image: ImageTransform
  readonly key: Key
}

const unused: ExampleOp = () => {
  throw new Error('data worker: in-memory examples are prepared on the main thread')
}

/**
 * Runs in a data worker (bin/data-worker.cjs loads it): decodes and transforms one record and
 * returns the pixels, whose buffer is moved to the main thread, not copied.
 */
export const prepareInWorker = async (task: PrepareTask): Promise<Float32Array> =>
  (await prepareRecord(task.record, { prepare: unused, image: task.image }, task.key)).image.data
