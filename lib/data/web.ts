/**
 * The data parts that run in a browser: in-memory datasets, batches, the digits as a fetched pack
 * (`unpackDigits`; the bundled `mnist()` reads the package's JSON files, which is Node's), the
 * example operators, timm's preprocessing, images decoded by the browser.
 */
export * from './example'
export * from './batches'
export * from './digits-pack'
export * from './transforms'
export * from './preprocess'
export * from './image-browser'
