#!/bin/sh
# run.sh - what `make fuzz` runs: builds every fuzz target of tests/fuzz/ with
# clang, libFuzzer, AddressSanitizer and UBSan, runs each for SECONDS over a
# copy of its seed corpus, and prints per target the executions, the corpus
# size before and after, and what it found. Exits 1 when any target crashed,
# leaked, hung or broke its property.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS
#
# FUZZ_TARGETS="envelope identity" runs only those (default: every
# tests/fuzz/fuzz_*.c); FUZZ_CC names the compiler (default: clang-14, else
# clang).
#
# The corpus a run grows stays in BUILD_DIR/fuzz-runs/NAME/corpus, and what a
# target found in BUILD_DIR/fuzz-runs/NAME/ (crash-*, leak-*, timeout-*,
# oom-*) with its log; the seed corpus in the source tree is not touched.
# docs/testing.md ("Fuzzing") says how to merge new inputs into it.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
seconds=${2:-60}

# Debian 12 names the compiler clang-14 (package clang-14); /usr/bin/clang
# comes only with the clang package. libFuzzer's runtime is in
# libclang-rt-14-dev.
cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
    for c in clang-14 clang; do
        if command -v "$c" >/dev/null 2>&1; then
            cc=$c
            break
        fi
    done
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
    echo "make fuzz: no clang found${cc:+ (FUZZ_CC=$cc)}; install the Debian packages clang-14 and libclang-rt-14-dev" >&2
    exit 2
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d == 0 && n; }\n' >"$probe/t.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" >"$probe/log" 2>&1; then
    echo "make fuzz: $cc cannot link a libFuzzer target with the sanitizers:" >&2
    sed 's/^/  /' "$probe/log" >&2
    echo "make fuzz: install the Debian package libclang-rt-14-dev" >&2
    exit 2
fi

targets=${FUZZ_TARGETS:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')}
echo "make fuzz: building $(echo $targets | wc -w) targets with $cc into $build"
if ! { CC=$cc cmake -S . -B "$build" -DFERRY_FUZZ=ON -DFERRY_SANITIZE=address,undefined &&
    cmake --build "$build" -j 2 --target $(printf 'fuzz_%s ' $targets); } >"$probe/build" 2>&1; then
    grep -v 'Entering directory\|Leaving directory' "$probe/build" >&2
    echo "make fuzz: the build failed" >&2
    exit 2
fi

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1
runs=$build/fuzz-runs
results=$runs/results.txt
rm -rf "$runs"
mkdir -p "$runs"
failed=0
for t in $targets; do
    dir=$runs/$t
    mkdir -p "$dir/corpus"
    cp tests/fuzz/corpus/$t/* "$dir/corpus/"
    # The text-format encoder's own samples seed its target too, as in ctest.
    if [ "$t" = textfmt ]; then
        cp tests/codegen/textfmt/samples/* "$dir/corpus/"
    fi
    seeds=$(ls "$dir/corpus" | wc -l)
    echo "fuzz_$t: ${seconds} s from $seeds seeds"
    rc=0
    "$build/tests/fuzz_$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    corpus=$(ls "$dir/corpus" | wc -l)
    found=$(cd "$dir" && ls crash-* leak-* timeout-* oom-* 2>/dev/null | tr '\n' ' ' || true)
    if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
        failed=1
        verdict="FOUND ${found:-exit status $rc} (see $dir/log)"
    else
        verdict="nothing"
    fi
    printf '%-20s %4s s %12s execs %6s -> %6s inputs   %s\n' "fuzz_$t" "$seconds" \
        "${execs:-?}" "$seeds" "$corpus" "$verdict" >>"$results"
done
echo
echo "target               time      executions   corpus (seeds -> after)   findings"
cat "$results"
exit $failed
