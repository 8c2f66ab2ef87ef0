# A thin wrapper over CMake; README.md names the two commands users run.
#   make demo   install what is missing, build, run the demo
#   make test   install what is missing, build, run every test
#   make bench  build and run the benchmark
#   make sanitize  build with address+undefined sanitizers into build-asan/ and test
#   make tsan      build with ThreadSanitizer into build-tsan/ and test
#   make fuzz      build the fuzz targets with clang (libFuzzer, ASan, UBSan) into
#                  build-fuzz/ and run each for FUZZ_SECONDS (tests/fuzz/run.sh)
#   make coverage  build with coverage counters into build-cov/, test, and print
#                  line and branch coverage per part against its target
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build demo test bench sanitize tsan fuzz clean format

all: build

deps:
	@cmake/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@clients/demo.sh $(BUILD)/bin

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD)/bin/ferry-bench

# make loadtest: throughput of one balancing channel over 1, 2, 3 and 4
# server processes whose handler waits 5 ms (simulated I/O); prints calls/s
# per server count and what each added server adds (docs/deploy.md).
.PHONY: loadtest
loadtest: build
	@$(BUILD)/bin/ferry-loadtest $(LOADTEST_ARGS)

sanitize:
	@$(MAKE) --no-print-directory test BUILD=build-asan CMAKE_FLAGS="-DFERRY_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug"

tsan:
	@$(MAKE) --no-print-directory test BUILD=build-tsan CMAKE_FLAGS="-DFERRY_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug"

fuzz: deps
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The golden files are protoc-gen-ferry's output byte for byte: not formatted.
# Nor are ferry new's templates: clang-format cannot read their @placeholders@
# (what they expand to is formatted, which tests/cli/test_new.c checks).
format:
	@git ls-files '*.c' '*.h' ':!tests/codegen/golden/expected' ':!clients/ferry/templates' | xargs clang-format -i

# make coverage: a Debug build with gcc's coverage counters in build-cov/, every
# test, then line and branch coverage per file and per part (cmake/coverage.py,
# which needs gcovr); fails when a test fails or a part is under its target
# (docs/testing.md, "Coverage"). The counters are updated atomically: calls on
# several threads would otherwise tear them (gcov then reads negative counts).
COVERAGE_FLAGS = --coverage -fprofile-update=atomic
.PHONY: coverage
coverage: deps
	@command -v gcovr >/dev/null || { echo "make coverage needs gcovr: install Debian's gcovr package (apt-get install gcovr)" >&2; exit 1; }
	@cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$(COVERAGE_FLAGS)" \
	  -DCMAKE_CXX_FLAGS="$(COVERAGE_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS=--coverage \
	  -DCMAKE_SHARED_LINKER_FLAGS=--coverage >/dev/null
	@cmake --build build-cov -j $(JOBS)
	@cmake/coverage.py build-cov $(JOBS)

clean:
	@rm -rf $(BUILD) build-asan build-tsan build-fuzz build-cov
