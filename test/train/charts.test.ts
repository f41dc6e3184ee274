import test from 'ava'
import { heatMap, lineChart, niceTicks, optionsTable, reportHtml } from '../../lib/train'

test('ticks are round values covering the range; a constant series gets a range around its value', t => {
  t.deepEqual(niceTicks(0, 0.93, 5), { lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] })
  const flat = niceTicks(0.045, 0.045, 4)
  t.true(flat.lo < 0.045 && flat.hi > 0.045 && flat.ticks.length >= 3, JSON.stringify(flat))
  t.deepEqual(niceTicks(0, 0, 4).ticks, [-1, -0.5, 0, 0.5, 1])
})

test('a one-value series is drawn as a dot; every axis carries ticks and its label', t => {
  const svg = lineChart('top-1', [{ name: 'held-out', color: '#d62728', points: [[281, 94.7]] }], { xLabel: 'step', yLabel: 'top-1 %' })
  t.is((svg.match(/<circle /g) ?? []).length, 1)
  t.false(svg.includes('<polyline'))
  t.true(svg.includes('>top-1 %</text>') && svg.includes('>step</text>'))
  t.true((svg.match(/text-anchor="end">/g) ?? []).length >= 3, 'several y ticks')
  // a long series is a line without dots
  const long = lineChart('loss', [{ name: 'train', color: '#1f77b4', points: Array.from({ length: 100 }, (_, i) => [i, 1 / (i + 1)] as [number, number]) }])
  t.is((long.match(/<circle /g) ?? []).length, 0)
  t.is((long.match(/<polyline /g) ?? []).length, 1)
})

test('a heat map has a cell per layer and step, with its value in the tooltip', t => {
  const svg = heatMap('dead', ['a', 'b'], [0, 10, 20], [[0, 0.5, 1], [null, 0.25, 0.75]])
  t.is((svg.match(/<rect /g) ?? []).length, 6 + 5, 'six cells and the five-step colour key')
  t.true(svg.includes('<title>a at 20: 1.000</title>') && svg.includes('<title>b at 0: n/a</title>'))
})

test('the training report lists the options that differ from the defaults', t => {
  t.is(optionsTable({ lr: 0.01, epochs: 10 }, { lr: 0.045, epochs: 10 }), '<table><tr><th>option</th><th>value</th><th>default</th></tr><tr><td>lr</td><td>0.01</td><td>0.045</td></tr></table>')
  const html = reportHtml([], { lr: 0.01, epochs: 10 }, { lr: 0.045, epochs: 10 })
  t.true(html.includes('What differs from the defaults') && html.includes('<td>0.045</td>'))
})
