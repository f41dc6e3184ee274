import { Backend } from '../../lib/backend'

/**
 * A backend that forwards every call to `target`, which a test may change between the forward and
 * the backward pass: the backward closures then run another backend's kernels on this one's saved
 * activations, so both backward passes take the same ReLU masks and max-pool choices.
 */
export interface Swappable extends Backend {
  target: Backend
}

export const swappable = (initial: Backend): Swappable => {
  const s = {
    target: initial,
    get mode() { return s.target.mode },
    get device() { return s.target.device },
    get stats() { return s.target.stats },
    get cacheBudget() { return s.target.cacheBudget },
    get maxKernels() { return s.target.maxKernels },
    get threads() { return s.target.threads },
    get capabilities() { return s.target.capabilities },
    kernel: ((...args) => s.target.kernel(...args)) as Backend['kernel'],
    destroy: () => Promise.resolve(),
  }
  return s
}
