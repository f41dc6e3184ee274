import { Shape, Tensor } from '../../tensor'
import { Ctx, Layer, defineLayer } from '../layer'
import { leafSpec } from '../spec'
import { EMPTY } from '../../tree'
import { Graph } from '../graph'

/**
 * A layer without parameters or state, from its output-shape rule and a forward that returns the
 * output and a backward closure over what it needs (the input, the mask, the output).
 */
export const stateless = (
  kind: string,
  outputShape: (input: Shape) => Shape,
  run: (x: Tensor, ctx: Ctx) => Promise<{ y: Tensor; back: (dy: Tensor) => Promise<Tensor> }>,
  graph?: Graph,
): Layer =>
  defineLayer({
    kind,
    ...(graph ? { graph: () => graph } : {}),
    spec: inputShape => leafSpec(kind, outputShape(inputShape), {}, {}, 0),
    apply(_params, _state, x, ctx) {
      return async () => {
        const { y, back } = await run(x, ctx)
        return { y, state: EMPTY, backward: dy => async () => ({ dx: await back(dy), params: EMPTY }) }
      }
    },
  })

/** Reads a required tensor from a parameter tree, with an error naming it when missing. */
export const param = (tree: Record<string, unknown>, name: string, kind: string): Tensor => {
  const t = tree[name]
  if (!(t instanceof Tensor)) throw new Error(`${kind}: parameter '${name}' is missing`)
  return t
}
