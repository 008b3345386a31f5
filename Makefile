# gocxx: a thin front over the CMake presets. Every target installs the Debian packages it needs
# first (scripts/deps.sh holds the one list).
.PHONY: all deps build test demo asan tsan release bench format clean

PRESET ?= default
CTEST_J ?= 2

all: build

deps:
	@scripts/deps.sh core

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET)

# Every test, through ctest; the last lines are ctest's summary.
test: build
	ctest --preset $(PRESET) -j $(CTEST_J)

# The main job: gocxx at work, then gocxx side by side with its peers.
demo: build
	@scripts/deps.sh bench
	@echo "== examples/hello_handoff: values handed between threads through the parking core"
	build/$(PRESET)/examples/hello_handoff
	@echo
	@echo "== bench/compare --quick: park/unpark round trip between two threads"
	bench/compare --quick build/$(PRESET)/bench/park_bench

# Sanitizer stages: the same tests under ASan+UBSan and under TSan.
asan:
	@$(MAKE) --no-print-directory test PRESET=asan
tsan:
	@$(MAKE) --no-print-directory test PRESET=tsan

release: deps
	cmake --preset release
	cmake --build --preset release

# Full benchmark comparison (medians of 5 interleaved repetitions).
bench: release
	@scripts/deps.sh bench
	bench/compare build/release/bench/park_bench

format:
	git ls-files '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf build
