# A thin wrapper over CMake; README.md names the two commands users run.
#   make demo   install what is missing, build, run the demo
#   make test   install what is missing, build, run every test
#   make bench  build and run the benchmark
#   make sanitize  build with address+undefined sanitizers into build-asan/ and test
#   make tsan      build with ThreadSanitizer into build-tsan/ and test
#   make fuzz      build the fuzz targets with clang (libFuzzer, ASan, UBSan) into
#                  build-fuzz/ and run each for FUZZ_SECONDS (tests/fuzz/run.sh)
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

sanitize:
	@$(MAKE) --no-print-directory test BUILD=build-asan CMAKE_FLAGS="-DFERRY_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug"

tsan:
	@$(MAKE) --no-print-directory test BUILD=build-tsan CMAKE_FLAGS="-DFERRY_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug"

fuzz: deps
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The golden files are protoc-gen-ferry's output byte for byte: not formatted.
format:
	@git ls-files '*.c' '*.h' ':!tests/codegen/golden/expected' | xargs clang-format -i

clean:
	@rm -rf $(BUILD) build-asan build-tsan build-fuzz
