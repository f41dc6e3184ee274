export * from './backend'
export * from './output'
export type { Probe } from './probe'
