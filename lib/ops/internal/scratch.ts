/**
 * Reusable host buffers for a kernel's temporary arguments: padded inputs, dy with its zero row,
 * transposed filters. Every backend copies (webasm, GL, WebGPU) or consumes (plain JavaScript) its
 * arguments while the kernel call is issued, so a buffer filled and passed straight to one kernel
 * call is free again once the call returns its promise. Allocated fresh, they added to the
 * ArrayBuffers that drive V8's full garbage collections: reusing them took an Inception-v4 75×75
 * batch-8 training step from 33-37 to 27-35 mark-compact collections (--trace-gc, two steps each
 * in two runs).
 *
 * Rule for callers: nothing may await between filling a scratch buffer and the kernel call that
 * reads it (a stride-phased loop that reuses its arguments across calls allocates instead).
 */

/** Requests above this many values are allocated fresh, so the slots retain at most 16 MiB each. */
const LARGEST = 2 ** 22
const slots = new Map<string, Float32Array>()

/**
 * A buffer of `length` values for `slot`, reused across calls; its contents are stale: the caller
 * writes every value it passes on.
 *
 * @example
 * const padded = scratch('conv.x', n * hp * wp * c).fill(0)
 */
export const scratch = (slot: string, length: number): Float32Array => {
  if (length > LARGEST) return new Float32Array(length)
  let buffer = slots.get(slot)
  if (!buffer || buffer.length < length) {
    buffer = new Float32Array(length)
    slots.set(slot, buffer)
  }
  return buffer.subarray(0, length)
}

/** A fresh buffer (`slot` undefined) or the slot's scratch buffer. */
export const bufferFor = (slot: string | undefined, length: number): Float32Array =>
  slot === undefined ? new Float32Array(length) : scratch(slot, length)
