#!/usr/bin/env sh
# Type-checks, then runs every ava test. Under xvfb-run when it exists, so the kernel tests cover
# the headlessgl backend too (they cover cpu and webasm everywhere), and on webgpu where Dawn gives
# an adapter (Mesa's llvmpipe on a machine without a GPU; RXCEPTION_REQUIRE_WEBGPU=1, as in CI,
# makes a missing one an error instead of a skipped backend).
set -e
npx tsc -p .
if [ -z "${RXCEPTION_TEST_WEBGPU:-}" ]; then
  if node --import tsx test/helpers/probe-webgpu.ts 2>/dev/null; then
    export RXCEPTION_TEST_WEBGPU=1
  elif [ "${RXCEPTION_REQUIRE_WEBGPU:-}" = 1 ]; then
    echo "RXCEPTION_REQUIRE_WEBGPU=1: the webgpu backend must be tested here" >&2; exit 1
  fi
fi
if command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a npx ava "$@"
fi
exec npx ava "$@"
