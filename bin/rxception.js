#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (a runtime dependency), so no build step is needed.
require('tsx/cjs')
require('../pipelines/cli.ts')
