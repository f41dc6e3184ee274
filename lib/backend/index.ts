export * from './backend'
export type { Probe } from './probe'
export { cacheBudgetFromEnv } from './cache-budget'
