import test from 'ava'
import { formatSeconds } from '../../lib/train/progress'

test('formatSeconds rounds the whole duration: never 60 seconds or 60 minutes on display', t => {
  t.is(formatSeconds(125), '2m05s')
  t.is(formatSeconds(119.6), '2m00s')
  t.is(formatSeconds(59.5), '1m00s')
  t.is(formatSeconds(3599.7), '1h00m')
  t.is(formatSeconds(3725), '1h02m')
  t.is(formatSeconds(0.2), '0m00s')
  t.is(formatSeconds(Number.NaN), '?')
})
