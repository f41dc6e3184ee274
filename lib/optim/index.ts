export * from './transform'
export * from './transforms'
export * from './presets'
export * from './fused'
