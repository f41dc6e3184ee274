import test from 'ava'
import { constant, cosine, stepDecay, withWarmup } from '../../lib/schedule'

test("the paper's staircase: 0.045 × 0.94^⌊epoch / 2⌋, changing exactly at every second epoch", t => {
  const stepsPerEpoch = 100
  const s = stepDecay(0.045, 0.94, 2 * stepsPerEpoch)
  t.is(s(0), 0.045)
  t.is(s(199), 0.045)
  t.is(s(200), 0.045 * 0.94)
  t.is(s(399), 0.045 * 0.94)
  t.is(s(400), 0.045 * 0.94 ** 2)
  t.true(Math.abs(stepDecay(0.045, 0.94, 200, false)(100) - 0.045 * Math.sqrt(0.94)) < 1e-15, 'not staircase: continuous')
  t.throws(() => stepDecay(0.1, 0.5, 0), { message: /decaySteps/ })
})

test('cosine starts at lr, halves at the middle, ends and stays at the floor', t => {
  const s = cosine(0.1, 1000, 0.001)
  t.is(s(0), 0.1)
  t.true(Math.abs(s(500) - 0.0505) < 1e-12)
  t.true(Math.abs(s(1000) - 0.001) < 1e-15)
  t.is(s(5000), 0.001)
  t.true(s(250) > s(251))
})

test('warm-up rises linearly to the wrapped schedule, then hands over', t => {
  const s = withWarmup(stepDecay(0.1, 0.5, 10), 4, 0.02)
  t.is(s(0), 0.02)
  t.true(Math.abs(s(2) - 0.06) < 1e-15)
  t.is(s(4), 0.1)
  t.is(s(10), 0.05)
  t.is(withWarmup(constant(0.3), 0)(0), 0.3)
})
