export * from './shape'
export * from './tensor'
export * from './key'
export * from './random'
