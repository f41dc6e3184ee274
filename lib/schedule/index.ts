export * from './schedule'
