import test from 'ava'
import { customTraining } from '../../pipelines/example-custom'
import { backendFor } from '../helpers/backends'

test("the README's custom training example runs and its loss falls", async t => {
  const losses = await customTraining(await backendFor('webasm'), 3)
  t.is(losses.length, 3)
  t.true(losses[2]! < losses[0]!, `losses ${losses.join(', ')}`)
})
