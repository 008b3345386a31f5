# gocxx: a thin front over the CMake presets. Every target installs the Debian packages it needs
# first (scripts/deps.sh holds the one list).
.PHONY: all deps build test demo asan tsan verify fuzz release bench format clean

PRESET ?= default
CTEST_J ?= 2
BUILD = build/$(PRESET)

all: build

deps:
	@scripts/deps.sh core

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET)

# Every test, through ctest (the model checker's quick configuration included); the last lines
# are ctest's summary.
test: build
	ctest --preset $(PRESET) -j $(CTEST_J)

# The main job: gocxx's channels at work, then gocxx side by side with its peers (quick mode).
demo: build
	@scripts/deps.sh bench
	@echo "== examples/split_sum: the seed's sum over an unbuffered channel"
	$(BUILD)/examples/split_sum
	@echo
	@echo "== examples/worker_pool: a buffered channel of tasks, four workers, close and drain"
	$(BUILD)/examples/worker_pool
	@echo
	@echo "== the model checker on the channels' own code (random, 2000 executions each)"
	$(BUILD)/verification/gocxx-verify chan. --strategy random --iterations 2000
	@echo
	@echo "== bench/compare --quick: gocxx, its C++ peers and Go 1.19, in one run"
	bench/compare --quick $(BUILD)/bench/park_bench $(BUILD)/bench/chan_bench --go bench/go

# Sanitizer stages: the same tests under ASan+UBSan and under TSan.
asan:
	@$(MAKE) --no-print-directory test PRESET=asan
tsan:
	@$(MAKE) --no-print-directory test PRESET=tsan

# Every model-checking suite with its default strategies, the zoo included; a table and
# "N passed, M failed".
verify: build
	$(BUILD)/verification/gocxx-verify

# Coverage-guided fuzzing (clang + libFuzzer + ASan/UBSan) for FUZZ_SECONDS per harness; new
# inputs go to build/fuzz/corpus (copy the interesting ones into fuzz/corpus/<harness>/).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/deps.sh core fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz --target chan_fuzz
	mkdir -p build/fuzz/corpus/chan_fuzz
	build/fuzz/fuzz/chan_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=256 -print_final_stats=1 \
	  build/fuzz/corpus/chan_fuzz fuzz/corpus/chan_fuzz

release: deps
	cmake --preset release
	cmake --build --preset release

# Full comparison (medians of 5 interleaved repetitions), written to bench/results/latest.md.
bench: release
	@scripts/deps.sh bench
	@mkdir -p bench/results
	bench/compare build/release/bench/park_bench build/release/bench/chan_bench --go bench/go \
	  --markdown bench/results/latest.md --json bench/results/latest.json

format:
	git ls-files '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf build
