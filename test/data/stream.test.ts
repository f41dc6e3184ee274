import test from 'ava'
import { from, lastValueFrom, range, toArray, throwError, concat } from 'rxjs'
import { collect, shuffleBuffer } from '../../lib/data'
import { Tensor, keyFromSeed } from '../../lib/tensor'

test('shuffleBuffer: a keyed permutation of the input, the same for the same key, never holding more than its size', async t => {
  const run = (seed: number, size: number) => lastValueFrom(range(0, 100).pipe(shuffleBuffer(keyFromSeed(seed), size), toArray()))
  const a = await run(1, 10)
  t.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i))
  t.deepEqual(a, await run(1, 10))
  t.notDeepEqual(a, await run(2, 10))
  t.notDeepEqual(a, Array.from({ length: 100 }, (_, i) => i))
  // with a buffer of 10, item i cannot leave before 9 later items have arrived
  a.forEach((v, position) => t.true(position >= v - 9 || v < 10, `item ${v} left at ${position}`))
  t.deepEqual(await run(1, 1), Array.from({ length: 100 }, (_, i) => i), 'size 1 keeps the order')
})

test('collect: a finite Observable of examples becomes a Dataset; too many or none is an error', async t => {
  const ex = (label: number) => ({ image: Tensor.zeros([2, 2, 1]), label })
  const d = await collect(from([ex(0), ex(2), ex(1)]), 'mine')
  t.is(d.size, 3)
  t.is(d.classes, 3)
  t.is(d.label(1), 2)
  await t.throwsAsync(collect(from([ex(0), ex(1), ex(0)]), 'big', 2), { message: /big: more than 2 examples/ })
  await t.throwsAsync(collect(from([]), 'empty'), { message: /empty: the source emitted no examples/ })
  await t.throwsAsync(collect(concat(from([ex(0)]), throwError(() => new Error('disk gone'))), 'broken'), { message: 'disk gone' })
})
