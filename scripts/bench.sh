#!/usr/bin/env bash
# Measures the Redis client against redis-benchmark on the same throwaway Redis, in one run.
# Usage: scripts/bench.sh [requests]   (prints a Markdown table row set for BENCHMARKS.md)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
cd "$MM_ROOT"
[ "$(id -u)" = 0 ] && mm_install_packages
REQUESTS=${1:-1000000}
STATE="$MM_ROOT/.local/bench"
PORT=${MM_BENCH_REDIS_PORT:-6397}
trap 'mm_stop_redis "$STATE/redis" "$PORT"' EXIT
mm_start_redis "$STATE/redis" "$PORT" no

mm_log "building medicineman-bench (release)"
swift build -c release --product medicineman-bench >"$STATE/build.log" 2>&1 || { tail -n 30 "$STATE/build.log" >&2; exit 1; }

rate_of() { awk -v t="$1" '$1 == t":" { print int($2) }'; }
reference=$(redis-benchmark -p "$PORT" -P 16 -c 50 -t set,get -n "$REQUESTS" -q 2>/dev/null | tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests per second')
ours=$(.build/release/medicineman-bench redis-pipeline --url "redis://127.0.0.1:$PORT/0" --requests "$REQUESTS" --clients 50 --pipeline 16)
echo "| command | redis-benchmark -P 16 -c 50 (req/s) | medicineman-bench redis-pipeline (req/s) | ratio |"
echo "|---|---:|---:|---:|"
for command in SET GET; do
  ref=$(rate_of "$command" <<<"$reference"); mine=$(rate_of "$command" <<<"$ours")
  echo "| $command | $ref | $mine | $(awk -v a="$mine" -v b="$ref" 'BEGIN { printf "%.2f", a / b }') |"
done
