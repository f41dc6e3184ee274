import test from 'ava'
import { CROP_MODES, cropViews, renderViews, scalesFor, shorterSide } from '../../lib/data'

const inside = (v: ReturnType<typeof cropViews>[number]) =>
  v.region.top >= 0 && v.region.left >= 0 && v.region.top + v.region.size <= v.resized[0] && v.region.left + v.region.size <= v.resized[1]

test('every mode gives its count of views, all inside the resized image, half of them mirrored', t => {
  const counts = { centre: 1, '10': 10, '12': 12, '144': 144 }
  for (const [h, w] of [[400, 300], [300, 400], [299, 299], [28, 28]] as const) {
    for (const mode of CROP_MODES) {
      const size = h === 28 ? 28 : 299
      const views = cropViews(h, w, size, mode, 0.875)
      t.is(views.length, counts[mode], `${mode} ${h}x${w}`)
      t.true(views.every(inside), `${mode} ${h}x${w}`)
      if (mode !== 'centre') t.is(views.filter(v => v.mirror).length, views.length / 2)
    }
  }
})

test('centre and 10-crop geometry: shorter side ⌊S / crop⌋, corners at the edges, the centre centred', t => {
  t.deepEqual(shorterSide(400, 300, 341), [454, 341], "torchvision's Resize truncates the longer side: int(341 * 400 / 300)")
  const [c] = cropViews(400, 300, 299, 'centre', 0.875)
  t.deepEqual(c!.resized, [454, 341])
  t.deepEqual(c!.region, { top: 78, left: 21, size: 299 }, 'round((454 - 299) / 2) = round(77.5) = 78, half to even')
  const ten = cropViews(300, 400, 299, '10', 0.875).filter(v => !v.mirror).map(v => v.region)
  t.deepEqual(ten, [
    { top: 0, left: 0, size: 299 }, { top: 0, left: 155, size: 299 }, { top: 42, left: 0, size: 299 }, { top: 42, left: 155, size: 299 }, { top: 21, left: 78, size: 299 },
  ])
  const twelve = cropViews(300, 400, 299, '12', 0.875)
  t.deepEqual(twelve[10]!.region, { top: 0, left: 56, size: 341 }, 'the whole centre square, later resized to S')
})

test('144-crop: four scales (342, 384, 427, 470 for 299), three squares along the longer side, six views each', t => {
  t.deepEqual(scalesFor(299), [342, 384, 427, 470])
  t.deepEqual(scalesFor(224), [256, 288, 320, 352])
  const views = cropViews(300, 600, 299, '144', 0.875)
  t.deepEqual([...new Set(views.map(v => v.resized.join('x')))], ['342x684', '384x768', '427x854', '470x940'])
  const whole = views.filter(v => !v.mirror && v.region.size === 342)
  t.deepEqual(whole.map(v => v.region.left), [0, 171, 342], 'left, centre and right squares')
})

test('rendered views: a mirrored view is the unmirrored one reversed; a whole square is resized to S', t => {
  const rgb = new Uint8Array(4 * 6 * 3).map((_, i) => 40 * (Math.floor(i / 3) % 6))
  const img = { width: 6, height: 4, rgb }
  const views = cropViews(4, 6, 4, '12', 1)
  const [a, b] = renderViews(img, 4, views.slice(0, 2), 'bilinear')
  const reds = (x: { rgb: Uint8Array }) => Array.from(x.rgb.filter((_, i) => i % 3 === 0).slice(0, 4))
  t.deepEqual(reds(a!), [0, 40, 80, 120])
  t.deepEqual(reds(b!), [120, 80, 40, 0])
  const rendered = renderViews(img, 2, cropViews(4, 6, 2, '12', 1), 'bicubic')
  t.true(rendered.every(r => r.height === 2 && r.width === 2))
})
