/**
 * Imports an ES-module-only package from this CommonJS build: TypeScript compiles `import()` to
 * `require()` under `module: commonjs`, which such a package's `exports` refuse, so the call is
 * made where the compiler does not see it.
 *
 * @example
 * const { Job } = await importEsm<typeof import('kubernetes-models/batch/v1')>('kubernetes-models/batch/v1')
 */
export const importEsm = new Function('m', 'return import(m)') as <T = unknown>(specifier: string) => Promise<T>
