export * from './safetensors'
export * from './safetensors-header'
export * from './state-dict'
