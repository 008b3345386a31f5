#!/usr/bin/env bash
# gocxx's Debian packages, in one place. Everything that needs a package calls this script:
# the Makefile's targets and .ci/run. It installs only what is missing and is safe to rerun.
#
#   scripts/deps.sh [group ...]     groups: core (default), bench, fuzz, docs, all
#   scripts/deps.sh --list [group]  print the package names and exit
set -euo pipefail

# core: build the library, its tests, the model checker and the benchmarks, whose binaries include
# the C++ peers measured side by side with gocxx (bench/README.md).
core=(g++ make cmake ninja-build ccache pkg-config python3 libgtest-dev libgmock-dev libbenchmark-dev
      libboost-context-dev libboost-fiber-dev libconcurrentqueue-dev libatomic-queue-dev libcds-dev
      libtbb-dev)
# bench: running the comparisons adds Go 1.19 for the Go side.
bench=(golang-go)
# fuzz: clang with libFuzzer's runtime.
fuzz=(clang libclang-rt-14-dev)
# docs: the API reference and plots.
docs=(doxygen gnuplot)

list=0
if [ "${1:-}" = "--list" ]; then list=1; shift; fi
[ $# -gt 0 ] || set -- core

want=()
for g in "$@"; do
  case "$g" in
    core) want+=("${core[@]}") ;;
    bench) want+=("${bench[@]}") ;;
    fuzz) want+=("${fuzz[@]}") ;;
    docs) want+=("${docs[@]}") ;;
    all) want+=("${core[@]}" "${bench[@]}" "${fuzz[@]}" "${docs[@]}") ;;
    *) echo "deps.sh: unknown group '$g' (core, bench, fuzz, docs, all)" >&2; exit 2 ;;
  esac
done

if [ "$list" = 1 ]; then printf '%s\n' "${want[@]}"; exit 0; fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "deps.sh: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
