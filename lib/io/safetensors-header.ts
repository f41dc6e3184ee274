import * as t from 'io-ts'

/**
 * The safetensors header, decoded with io-ts: `__metadata__` (string to string) and, for every
 * other key, { dtype, shape, data_offsets: [begin, end) } relative to the data section.
 *
 * @example
 * DTYPES.includes('F32') // true
 */
export const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const
/**
 * A safetensors element type.
 *
 * @example
 * const r = await readSafetensors(file)()
 * if (isRight(r)) for (const [name, dtype] of r.right.skipped) console.log(name, dtype as DType)
 */
export type DType = (typeof DTYPES)[number]

export const BYTES: Record<DType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 }

const NonNegativeInt = t.refinement(t.number, n => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger')

export const TensorInfo = t.type({
  dtype: t.keyof(Object.fromEntries(DTYPES.map(d => [d, null])) as Record<DType, null>),
  shape: t.array(NonNegativeInt),
  data_offsets: t.tuple([NonNegativeInt, NonNegativeInt]),
})
export type TensorInfo = t.TypeOf<typeof TensorInfo>

export const Metadata = t.record(t.string, t.string)

/** Readable io-ts errors: the path inside the header and what was expected. */
export const describeErrors = (errors: t.Errors): string =>
  errors
    .slice(0, 5)
    .map(e => {
      const path = e.context.map(c => c.key).filter(Boolean).join('.')
      const expected = e.context[e.context.length - 1]?.type.name ?? 'a valid value'
      return `${path || '(header)'}: expected ${expected}, got ${JSON.stringify(e.value)?.slice(0, 60)}`
    })
    .join('; ')
