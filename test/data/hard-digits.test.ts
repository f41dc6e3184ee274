import test from 'ava'
import { exampleAt, hardDigits, mnist, openSource } from '../../lib/data'

test('digits-hard: the bundled digits and their labels, each distorted the same way every time it is read, in [0, 1]', async t => {
  const plain = mnist()
  const hard = hardDigits()
  t.is(hard.train.size, plain.train.size)
  t.is(hard.heldOut.size, plain.heldOut.size)
  for (const i of [0, 1234, 8999]) {
    const [a, b] = [exampleAt(hard.train, i), exampleAt(hardDigits().train, i)]
    t.deepEqual(Array.from(a.image.data), Array.from(b.image.data), 'a keyed draw: the same image on every read')
    t.is(a.label, exampleAt(plain.train, i).label)
    t.deepEqual(a.image.shape, [28, 28, 1])
    t.true(a.image.data.every(v => v >= 0 && v <= 1))
    // far from the plain digit: noise everywhere, warped strokes
    const diff = a.image.data.reduce((s, v, k) => s + Math.abs(v - exampleAt(plain.train, i).image.data[k]!), 0) / 784
    t.true(diff > 0.1, `mean absolute difference ${diff}`)
  }
  t.notDeepEqual(Array.from(exampleAt(hard.train, 0).image.data), Array.from(exampleAt(hard.heldOut, 0).image.data))
  t.is((await openSource('digits-hard:heldout', { onBad: 'fail' })).dataset.size, 1000)
  await t.throwsAsync(openSource('digits-hard:test', { onBad: 'fail' }), { message: /digits-hard:test: expected digits-hard, digits-hard:train or digits-hard:heldout/ })
})
