import { probeWebGPU } from '../../lib/backend/probe'

/**
 * test/run.sh asks this once whether the kernel tests can run on webgpu: it prints the adapter
 * and exits 0 when Dawn gives one (on a machine without a GPU, Mesa's llvmpipe through OpenGL ES),
 * else prints why and exits 1.
 */
probeWebGPU().then(p => {
  console.log(p.available ? `webgpu: ${p.device}${p.software ? ' (software: tested for correctness, not speed)' : ''}` : `webgpu: not tested here (${p.reason})`)
  process.exit(p.available ? 0 : 1)
})
