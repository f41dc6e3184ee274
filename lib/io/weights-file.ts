import { isLeft } from 'fp-ts/Either'
import { promises as fs } from 'fs'
import { Tensor } from '../tensor'
import { readSafetensors } from './safetensors'
import { readTorchCheckpoint } from './torch-checkpoint'
import { timmParts } from './timm-checkpoint'

/**
 * Whether a regular file starts as a zip does (a PyTorch `torch.save` file) rather than as safetensors.
 *
 * @example
 * await isTorchFile('last.pth.tar') // true
 */
export const isTorchFile = async (file: string): Promise<boolean> => {
  if (!(await fs.stat(file).catch(() => undefined))?.isFile()) return false
  const h = await fs.open(file, 'r').catch(() => undefined)
  if (!h) return false
  try {
    const b = Buffer.alloc(4)
    await h.read(b, 0, 4, 0)
    return b.toString('latin1') === 'PK\x03\x04'
  } finally {
    await h.close()
  }
}

/**
 * The float tensors of a weights file by timm name, whichever form it has: safetensors
 * (rxception's and timm's `model.safetensors`), or a PyTorch checkpoint (timm's `last.pth.tar`,
 * `model_best.pth.tar`: the EMA weights when it has them, else `state_dict`; a plain state dict),
 * told apart by the file's first bytes, not its name. Errors name the file.
 *
 * @example
 * const tensors = await readWeightsFile('output/train/x/last.pth.tar')
 */
export const readWeightsFile = async (file: string): Promise<ReadonlyMap<string, Tensor>> => {
  if (await isTorchFile(file)) {
    const r = await readTorchCheckpoint(file)()
    if (isLeft(r)) throw r.left
    return timmParts(r.right, file).weights
  }
  const f = await readSafetensors(file)()
  if (isLeft(f)) throw f.left
  return f.right.tensors
}
