import test from 'ava'
import { Tensor, foldInName, keyFromSeed, normal } from '../../lib/tensor'
import { backendFor, testModes } from '../helpers/backends'
import { dot, finiteDifferences, relativeError, sampleIndices } from '../helpers/numeric'
import { float64, opCases } from './cases'

/**
 * For a random cotangent r, the gradient of L(x) = Σ r ⊙ reference(x) by central finite differences
 * of the float64 reference must equal the kernels' backward(r), on every backend.
 */
for (const mode of testModes()) {
  for (const c of opCases) {
    test(`${mode}: ${c.name}: gradients equal finite differences`, async t => {
      const be = await backendFor(mode)
      const x = float64(c.inputs)
      const yShape = (await c.forward(be, c.inputs)).shape
      const r = normal(foldInName(keyFromSeed(7), c.name), yShape)
      const grads = await c.backward(be, c.inputs, r)
      for (const name of c.wrt) {
        const g = grads[name]
        t.truthy(g, `no gradient for ${name}`)
        t.deepEqual((g as Tensor).shape, c.inputs[name]!.shape, `gradient shape of ${name}`)
        const idx = sampleIndices(x[name]!.length, 24)
        const fd = finiteDifferences(v => dot(r.data, c.reference({ ...x, [name]: v })), x[name]!, idx)
        const analytic = idx.map(i => (g as Tensor).data[i]!)
        const err = relativeError(analytic, fd)
        t.true(err <= 1e-3, `${name}: relative error ${err.toExponential(2)} (analytic ${analytic.slice(0, 4).map(v => v.toFixed(4))} vs fd ${fd.slice(0, 4).map(v => v.toFixed(4))})`)
      }
    })
  }
}
