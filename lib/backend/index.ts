export * from './backend'
export type { Probe } from './probe'
