/** The weights formats that run in a browser: safetensors from bytes or a Blob, timm's names. */
export { blobSource, bytesSource, encodeSafetensors, readSafetensorsFrom, SafetensorsError } from './safetensors-bytes'
export type { ByteSource, SafetensorsFile } from './safetensors-bytes'
export * from './state-dict'
