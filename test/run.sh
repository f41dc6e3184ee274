#!/usr/bin/env sh
# Type-checks, then runs every ava test. Under xvfb-run when it exists, so the kernel tests cover
# the headlessgl backend too (they cover cpu and webasm everywhere), and on webgpu where Dawn gives
# an adapter (Mesa's llvmpipe on a machine without a GPU; RXCEPTION_REQUIRE_WEBGPU=1, as in CI,
# makes a missing one an error instead of a skipped backend).
#
# webgpu runs in a second pass, in processes that never load headlessgl: on Mesa without a GPU,
# Dawn reaches llvmpipe through EGL, and once headlessgl (the gl package, GLX under Xvfb) has made
# a context current on the main thread, libglvnd refuses EGL there (eglMakeCurrent:
# EGL_BAD_ACCESS), so every webgpu test in a file that also ran headlessgl would fail.
set -e
npx tsc -p .
if [ -z "${RXCEPTION_TEST_WEBGPU:-}" ] && [ -z "${RXCEPTION_TEST_BACKENDS:-}" ]; then
  if node --import tsx test/helpers/probe-webgpu.ts 2>/dev/null; then
    RXCEPTION_TEST_WEBGPU=1
  elif [ "${RXCEPTION_REQUIRE_WEBGPU:-}" = 1 ]; then
    echo "RXCEPTION_REQUIRE_WEBGPU=1: the webgpu backend must be tested here" >&2; exit 1
  fi
fi

# the files whose tests run once per backend (test/helpers/backends.ts), and of them the ones asked for
backend_files=$(grep -l 'testModes()' test/*/*.test.ts)
webgpu_args=""
asked_files=0
for a in "$@"; do
  case "$a" in
    -*) webgpu_args="$webgpu_args $a" ;;
    *) asked_files=1; for f in $backend_files; do [ "$a" = "$f" ] && webgpu_args="$webgpu_args $a"; done ;;
  esac
done
[ "$asked_files" = 0 ] && webgpu_args="$webgpu_args $backend_files"

if command -v xvfb-run >/dev/null 2>&1; then
  RXCEPTION_TEST_WEBGPU=0 xvfb-run -a npx ava "$@"
else
  RXCEPTION_TEST_WEBGPU=0 npx ava "$@"
fi

if [ "${RXCEPTION_TEST_WEBGPU:-}" = 1 ] && { [ "$asked_files" = 0 ] || echo "$webgpu_args" | grep -q '\.test\.ts'; }; then
  echo "webgpu pass: the per-backend tests on webgpu alone, without headlessgl in the process"
  # shellcheck disable=SC2086 # the file list is split on purpose
  env -u DISPLAY RXCEPTION_TEST_BACKENDS=webgpu npx ava --match '*webgpu*' $webgpu_args
fi
