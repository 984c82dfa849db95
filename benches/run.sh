#!/usr/bin/env bash
# `make bench`: every benchmark of BENCHMARKS.md in one run, side by side with
# the peers, on this machine. Installs what it needs (twiggy into
# $CANDOR_TOOLS, wrk and PostgreSQL from Debian via benches/collector.sh) only
# when missing, writes benches/out/ and regenerates BENCHMARKS.md.
# Numbers only: nothing here passes or fails on a timing.
#
#   make bench                       # builds dist/ first
#   RUNS=30 bash benches/run.sh      # more time-to-prompt runs (default 20)
#   DURATION=5 bash benches/run.sh   # shorter collector measurements (default 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
export CANDOR_TOOLS=${CANDOR_TOOLS:-$HOME/.cache/candor-tools}
export PATH="$CANDOR_TOOLS/bin:$PATH"
OUT=benches/out
mkdir -p "$OUT"
START=$(date +%s)
step() { printf '\n== bench: %s (%ss elapsed)\n' "$*" "$(( $(date +%s) - START ))" >&2; }

step "tools"
if ! command -v twiggy >/dev/null 2>&1; then
  echo "installing twiggy into $CANDOR_TOOLS (once, a few minutes)" >&2
  cargo install twiggy --root "$CANDOR_TOOLS" >&2
fi
for t in brotli gzip; do
  command -v "$t" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$t" >/dev/null; }
done
[ -f dist/candor.js ] && [ -f dist/candor_bg.wasm ] || bash scripts/build.sh >&2
step "collector (release build)"
cargo build --release -q -p candor-collector >&2

step "1. bundle size"
timeout 300 node benches/size.js "$OUT" > /dev/null
step "2. time to prompt (${RUNS:-20} runs per tool, two networks)"
timeout 600 node benches/prompt.js "$OUT" > /dev/null
step "3 + 6. event throughput and memory"
timeout 300 node benches/track.js "$OUT" > /dev/null
timeout 120 node benches/stack.js > "$OUT/stack.txt"
step "busy page (script time with each tool)"
timeout 300 node benches/busy.js > "$OUT/busy.md"
step "4. wire cost"
timeout 300 node benches/wire.js 1000 100000 > "$OUT/wire.md"
step "5. collector"
DURATION=${DURATION:-10} CARGO_TARGET_DIR="$PWD/target" timeout 600 bash benches/collector.sh > "$OUT/collector.md"

step "writing BENCHMARKS.md"
ELAPSED=$(( $(date +%s) - START )) node benches/report.js "$OUT" > BENCHMARKS.md
step "done: BENCHMARKS.md, $OUT/time-to-prompt.svg"
