import test from 'ava'
import { convGeometry } from '../../lib/ops'
import { cropTaps, embedTaps, liveTaps } from '../../lib/ops/internal/dead-taps'

test('liveTaps: a 1×7 same window on a 3-wide map keeps columns 1-5 with 2 columns of padding a side; full or strided windows are left alone', t => {
  const live = liveTaps(convGeometry([8, 3, 3, 16], [1, 7, 16, 32], { padding: 'same' }))
  t.truthy(live)
  t.is(live!.x0, 1)
  t.is(live!.g.kw, 5)
  t.deepEqual(live!.g.x, { out: 3, before: 2, after: 2 })
  t.is(live!.g.wp, 7)
  t.is(live!.g.kh, 1)
  t.is(liveTaps(convGeometry([8, 17, 17, 16], [1, 7, 16, 32], { padding: 'same' })), undefined, 'every tap reads the input somewhere')
  t.is(liveTaps(convGeometry([1, 3, 3, 4], [3, 3, 4, 4], { padding: 'same', stride: 2 })), undefined, 'strided windows are not cropped')
  // 5×5 'same' on 2×3: rows 1-3 (y0 1) of 5, all 5 columns? width 3, pad 2 a side: columns 0-4 reach x in [0, 2]
  const both = liveTaps(convGeometry([1, 2, 3, 4], [5, 5, 4, 4], { padding: 'same' }))!
  t.deepEqual([both.y0, both.g.kh, both.x0, both.g.kw], [1, 3, 0, 5])
  t.deepEqual(both.g.y, { out: 2, before: 1, after: 1 })
})

test('cropTaps and embedTaps: the cropped taps keep their [cin][cout] blocks in order, embedding puts them back among zeros', t => {
  const per = 3
  const w = Float32Array.from({ length: 2 * 4 * per }, (_, i) => i + 1) // [2, 4, per]
  const c = cropTaps(w, 4, per, 1, 1, 1, 2) // row 1, columns 1-2
  t.deepEqual(Array.from(c), [16, 17, 18, 19, 20, 21])
  const back = embedTaps(c, 2, 4, per, 1, 1, 1, 2)
  t.deepEqual(Array.from(back), Array.from(w, (v, i) => (i >= 15 && i < 21 ? v : 0)))
})
