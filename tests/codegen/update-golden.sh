#!/bin/sh
# Regenerates tests/codegen/golden/expected/ from golden/echo.proto with the
# protoc-gen-ferry of a configured build tree (default: build). Run it after
# an intended change to the generated code, review `git diff`, and commit the
# new expected files together with the generator change.
#
#   tests/codegen/update-golden.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "update-golden.sh: $build is not a configured build tree (cmake -S . -B $build)" >&2
    exit 1
fi
cmake --build "$build" --target codegen_update_golden
git --no-pager diff --stat -- tests/codegen/golden/expected
