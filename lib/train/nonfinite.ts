import { Tree, flatten } from '../tree'

/**
 * The first leaf (in network order) holding a NaN or an infinity, or undefined.
 *
 * @example
 * firstNonFinite(grads) // 'repeat_1.0.branch0.conv.weight' or undefined
 */
export const firstNonFinite = (tree: Tree): string | undefined => flatten(tree).find(([, t]) => !t.data.every(Number.isFinite))?.[0]

/**
 * Training stopped on a non-finite value; the message names the step and where it first appeared.
 *
 * @example
 * catchError(e => (e instanceof NonFiniteError ? of(`stopped at step ${e.step}`) : throwError(() => e)))
 */
export class NonFiniteError extends Error {
  constructor(readonly step: number, readonly where: string) {
    super(`step ${step}: ${where}`)
    this.name = 'NonFiniteError'
  }
}
