import test from 'ava'
import { backendFor, testModes } from '../helpers/backends'
import { relativeError } from '../helpers/numeric'
import { float64, opCases } from './cases'

for (const mode of testModes()) {
  for (const c of opCases) {
    test(`${mode}: ${c.name}: forward equals the float64 reference`, async t => {
      const be = await backendFor(mode)
      const y = await c.forward(be, c.inputs)
      const expected = c.reference(float64(c.inputs))
      t.is(y.size, expected.length)
      const err = relativeError(y.data, expected)
      t.true(err <= 1e-4, `relative error ${err.toExponential(2)} on ${mode}`)
    })
  }
}
