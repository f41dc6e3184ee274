import { PLATFORM, collectGarbage, Env, environment, startupSettings } from '../platform'

/**
 * One shared WebAssembly memory in which the webasm backend's tensors live (issue 19, item 2):
 * every kernel of the backend imports it (patch part 15, relocatable regions), reads a resident
 * argument where it lies and writes its output into a fresh region of it, returned as a view.
 * So an op's output is the next op's input without a copy through JavaScript, and no output is
 * fresh ArrayBuffer memory. Tensors stay immutable: a region is never written after its kernel
 * returns, and it is freed only when no view of it is left (a FinalizationRegistry on an owner
 * object that every view of the region, subarrays included, holds).
 *
 * The garbage collector does not see this memory, so the arena asks for a collection itself
 * once it has allocated as many bytes since the last one as are live, and at least
 * `collectEvery` (256 MiB: each collection is a full one), and when an allocation does
 * not fit: memory stays within the live tensors plus that much garbage. WebAssembly memory never
 * shrinks: its size is the high-water mark of the run.
 *
 * @example
 * const arena = createArena()
 * const at = arena.alloc(4 * 1024)
 * const view = arena.view(at, 1024) // a Float32Array over the region; freed once unreachable
 */
export interface Arena {
  readonly memory: WebAssembly.Memory
  readonly maximumPages: number
  /** A region of at least `bytes` bytes (64-byte aligned, 16 bytes of slack after it); grows the memory as needed. */
  alloc(bytes: number): number
  /** Returns a region from alloc (a view's region is freed by the arena when its views are gone). */
  free(offset: number): void
  /** The byte offset of `array` in this arena when it is a view of it holding at least `length` values, else -1. */
  offsetOf(array: unknown, length: number): number
  /** A Float32Array over a region alloc returned; the region is freed when it and every subarray of it are unreachable. */
  view(offset: number, length: number): Float32Array
  /** Views of the whole memory as it is now (a grown memory has a new buffer). */
  f32(): Float32Array
  i32(): Int32Array
  /** Whether regions of these sizes fit now: in the free regions, or in what the memory may still grow by. */
  fits(regions: readonly number[]): boolean
  /** Whether a collection is due before a call that allocates these regions: as many bytes allocated since the last as are live (at least `collectEvery`), or the regions not fitting. */
  due(regions: readonly number[]): boolean
  /** A full collection, then a turn for the finalizers to free the regions of unreachable views. */
  collect(): Promise<void>
  readonly stats: ArenaStats
}

/**
 * What an arena holds and has done, for tests and benchmarks.
 *
 * @example
 * const { liveBytes, pages } = arena.stats
 */
export interface ArenaStats {
  /** Bytes in regions not yet freed. */
  liveBytes: number
  /** Regions not yet freed. */
  liveRegions: number
  /** Pages (64 KiB) the memory has. */
  pages: number
  /** Collections the arena asked for. */
  collections: number
  /** Regions freed by the finalizer (their views were collected). */
  finalized: number
}

const PAGE = 65536
const ALIGN = 64
/** Unmasked SIMD reads may run up to 12 bytes past an array's end (patch part 13). */
const SLACK = 16
/**
 * 1 GiB to start with: pages never written cost no resident memory (the default run's peak RSS
 * was the same), and the memory should seldom grow while worker threads run on it (it doubles
 * when it does).
 */
const INITIAL_PAGES = 16384
/** 4 GiB: a 32-bit memory's whole address space. */
const MAX_ARENA_PAGES = 65536

/** A region's owner: held by every view of it, so its collection means no view is left (the registry holds its offset). */
class Owner {}

/** %TypedArray%.prototype.subarray's index rule: an integer, negative from the end, clamped to [0, n]. */
function clampIndex(i: number, n: number): number {
  const t = Math.trunc(i) || 0
  return t < 0 ? Math.max(n + t, 0) : Math.min(t, n)
}

/**
 * A Float32Array whose subarrays hold the owner of the region they look into (a plain subarray
 * would not, and the region could be freed under it). The owner is a private field: invisible to
 * readers and comparisons (a WeakMap entry or a symbol property cost 2-3× a subarray call, and a
 * convolution's gradient takes one per position). Other derived arrays (slice, map) are copies in
 * ordinary memory. Named Float32Array: it is one to every reader.
 */
class ResidentArray extends Float32Array {
  #owner: Owner | undefined

  static over(buffer: ArrayBufferLike, offset: number, length: number, owner: Owner | undefined): ResidentArray {
    const view = new ResidentArray(buffer as ArrayBuffer, offset, length)
    view.#owner = owner
    return view
  }

  override subarray(begin = 0, end = this.length): Float32Array<ArrayBuffer> {
    const n = this.length
    const b = clampIndex(begin, n)
    return ResidentArray.over(this.buffer, this.byteOffset + 4 * b, Math.max(clampIndex(end, n) - b, 0), this.#owner) as unknown as Float32Array<ArrayBuffer>
  }
}
Object.defineProperty(ResidentArray, 'name', { value: 'Float32Array' })

/**
 * A plain Float32Array over `a`'s values, for copying out of it in many pieces: a resident
 * array's `subarray` constructs a derived class (2-3× the engine's own; per position in a
 * strided input gradient it cost 0.28 s of a 14 s epoch of the default run). The plain view does
 * not hold the region's owner: use it only while `a` itself is held.
 *
 * @example
 * const src = plainView(values)
 * positions.forEach((q, p) => dx.set(src.subarray(p * c, (p + 1) * c), q * c))
 */
export const plainView = (a: Float32Array): Float32Array =>
  a instanceof ResidentArray ? new Float32Array(a.buffer, a.byteOffset, a.length) : a

/** Free regions, sorted by start, adjacent ones merged. */
interface Span {
  start: number
  size: number
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to

/**
 * An arena over a new shared memory.
 *
 * @example
 * const arena = createArena({ maximumPages: 16384, collectEvery: 256 * 2 ** 20 })
 */
export const createArena = (opts: { maximumPages?: number; initialPages?: number; collectEvery?: number } = {}): Arena => {
  if (PLATFORM === 'node' && !arenaSafeHere()) {
    throw new Error('webasm: the tensor arena needs node started with --expose-gc --no-incremental-marking (set later, they broke V8\'s concurrent marker; the rxception command sets them): add them, or RXCEPTION_RESIDENT=0 to copy')
  }
  const maximumPages = opts.maximumPages ?? MAX_ARENA_PAGES
  const collectEvery = opts.collectEvery ?? 256 * 2 ** 20
  const memory = new WebAssembly.Memory({ initial: opts.initialPages ?? INITIAL_PAGES, maximum: maximumPages, shared: true })
  let buffer = memory.buffer
  let f32 = new Float32Array(buffer)
  let i32 = new Int32Array(buffer)
  // every buffer object this memory has had: views made before a growth keep the old one
  const buffers = new WeakSet<ArrayBufferLike>([buffer])
  const free: Span[] = [{ start: ALIGN, size: buffer.byteLength - ALIGN - SLACK }]
  const sizes = new Map<number, number>()
  const stats: ArenaStats = { liveBytes: 0, liveRegions: 0, pages: buffer.byteLength / PAGE, collections: 0, finalized: 0 }
  let sinceCollect = 0

  const refresh = () => {
    if (memory.buffer.byteLength === buffer.byteLength) return
    buffer = memory.buffer
    buffers.add(buffer)
    f32 = new Float32Array(buffer)
    i32 = new Int32Array(buffer)
    stats.pages = buffer.byteLength / PAGE
  }

  const release = (start: number, size: number) => {
    // binary search for the first span after `start`, then merge with its neighbours
    let lo = 0
    let hi = free.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (free[mid].start < start) lo = mid + 1
      else hi = mid
    }
    const before = free[lo - 1]
    const after = free[lo]
    if (before && before.start + before.size === start) {
      before.size += size
      if (after && before.start + before.size === after.start) {
        before.size += after.size
        free.splice(lo, 1)
      }
    } else if (after && start + size === after.start) {
      after.start = start
      after.size += size
    } else {
      free.splice(lo, 0, { start, size })
    }
  }

  const grow = (size: number): boolean => {
    const pages = stats.pages
    if (pages >= maximumPages) return false
    const wanted = Math.min(maximumPages - pages, Math.max(Math.ceil((size + SLACK) / PAGE), pages))
    if (Math.ceil((size + SLACK) / PAGE) > wanted) return false
    const oldEnd = buffer.byteLength - SLACK
    memory.grow(wanted)
    refresh()
    release(oldEnd, buffer.byteLength - SLACK - oldEnd)
    return true
  }

  const take = (size: number): number => {
    for (let i = 0; i < free.length; i++) {
      const span = free[i]
      if (span.size < size) continue
      const start = span.start
      if (span.size === size) free.splice(i, 1)
      else {
        span.start += size
        span.size -= size
      }
      return start
    }
    return -1
  }

  /**
   * Freed regions wait in bins of their exact size (a training step frees and allocates the same
   * sizes every step: O(1) instead of a first-fit walk over a fragmented list); they go back to
   * the list, merged with their neighbours, when an allocation finds no room otherwise.
   */
  const bins = new Map<number, number[]>()
  let binnedBytes = 0
  const flushBins = () => {
    for (const [size, starts] of bins) for (const start of starts) release(start, size)
    bins.clear()
    binnedBytes = 0
  }

  /** Conservative: all the regions in what the memory may still grow by, or together in the largest free span. */
  const fits = (regions: readonly number[]): boolean => {
    const need = regions.reduce((n, r) => n + roundUp(r + SLACK, ALIGN), 0)
    if ((maximumPages - stats.pages) * PAGE >= need + SLACK) return true
    flushBins()
    return free.reduce((m, s) => Math.max(m, s.size), 0) >= need
  }

  const alloc = (bytes: number): number => {
    const size = roundUp(Math.max(bytes, 1) + SLACK, ALIGN)
    const bin = bins.get(size)
    let start = bin !== undefined && bin.length > 0 ? bin.pop()! : -1
    if (start >= 0) binnedBytes -= size
    else start = take(size)
    if (start < 0 && binnedBytes > 0) {
      flushBins()
      start = take(size)
    }
    while (start < 0 && grow(size)) start = take(size)
    if (start < 0) {
      throw new RangeError(`webasm: the tensor memory is full (${(stats.liveBytes / 2 ** 20).toFixed(0)} MiB live of ${(maximumPages * PAGE / 2 ** 20).toFixed(0)} MiB): use a smaller batch, or RXCEPTION_RESIDENT=0 to give each kernel its own memory`)
    }
    sizes.set(start, size)
    stats.liveBytes += size
    stats.liveRegions++
    sinceCollect += size
    return start
  }

  const freeRegion = (offset: number) => {
    const size = sizes.get(offset)
    if (size === undefined) throw new Error(`webasm arena: no region at ${offset} to free`)
    sizes.delete(offset)
    stats.liveBytes -= size
    stats.liveRegions--
    const bin = bins.get(size)
    if (bin) bin.push(offset)
    else bins.set(size, [offset])
    binnedBytes += size
  }

  const registry = new FinalizationRegistry<number>(offset => {
    stats.finalized++
    freeRegion(offset)
  })

  const collect = async () => {
    stats.collections++
    sinceCollect = 0
    collectGarbage()
    // finalizers run as tasks after the collection: let them
    await new Promise<void>(resolve => setTimeout(resolve, 0))
    await new Promise<void>(resolve => setTimeout(resolve, 0))
  }

  return {
    memory,
    maximumPages,
    stats,
    alloc,
    free: freeRegion,
    offsetOf(array, length) {
      // every view of the arena is a ResidentArray: the prototype check turns the others away first
      if (!(array instanceof ResidentArray) || array.length < length || !buffers.has(array.buffer)) return -1
      return array.byteOffset
    },
    view(offset, length) {
      refresh()
      const owner = new Owner()
      const view = ResidentArray.over(buffer, offset, length, owner)
      registry.register(owner, offset)
      return view
    },
    f32: () => {
      refresh()
      return f32
    },
    i32: () => {
      refresh()
      return i32
    },
    fits,
    due: regions => sinceCollect >= Math.max(collectEvery, stats.liveBytes) || !fits(regions),
    collect,
  }
}

/** V8's gc and its marking mode both came with the process's start (`startupSettings`): nothing will change a collector flag under the arena. */
const arenaSafeHere = (): boolean => {
  const s = startupSettings()
  return s.gc !== undefined && s.fromStart
}

/**
 * Whether webasm backends keep their tensors in one arena (1) or give each kernel its own memory
 * and copy its arguments in and its output out (0). Unset, the arena is on in a Node process
 * whose garbage-collector flags were set at its start (`startupSettings`: the `rxception`
 * command, or `node --expose-gc --no-incremental-marking`), and off otherwise: the arena asks for
 * collections, and V8 broke when those flags were set later (docs/performance.md). Never in a
 * browser, where nothing can ask for the collections that free its regions.
 *
 * @example
 * residentFromEnv({ RXCEPTION_RESIDENT: '1' }) // true in Node
 */
export const residentFromEnv = (env: Env = environment(), fromStart: boolean = arenaSafeHere()): boolean => {
  const v = env.RXCEPTION_RESIDENT
  if (v === undefined || v === '') return PLATFORM === 'node' && fromStart
  if (v === '0') return false
  if (v === '1') return PLATFORM === 'node'
  throw new RangeError(`RXCEPTION_RESIDENT: expected 0 or 1, got ${JSON.stringify(v)}`)
}
