export * from './tree'
export * from './map'
