#!/usr/bin/env sh
# Type-checks, then runs every ava test. Under xvfb-run when it exists, so the kernel tests cover
# the headlessgl backend too (they cover cpu and webasm everywhere).
set -e
npx tsc -p .
if command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a npx ava "$@"
fi
exec npx ava "$@"
