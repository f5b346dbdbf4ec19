#!/usr/bin/env bash
# Queue throughput: medicineman-bench throughput next to the Python bullmq worker, on the same
# throwaway Redis in one run; then a long run for memory. Prints Markdown rows for BENCHMARKS.md.
# Usage: scripts/bench-queue.sh [jobs] [long-run jobs]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
mm_prepare
JOBS=${1:-100000}
LONG=${2:-1000000}
STATE="$MM_ROOT/.local/bench"
PORT=${MM_BENCH_REDIS_PORT:-6397}
trap 'mm_stop_redis "$STATE/redis" "$PORT"' EXIT
mm_start_redis "$STATE/redis" "$PORT" no
VENV="$MM_ROOT/.local/venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import bullmq' 2>/dev/null || "$VENV/bin/pip" install -q "bullmq==3.4.4"
swift build -c release --product medicineman-bench >"$STATE/build.log" 2>&1 || { tail -n 30 "$STATE/build.log" >&2; exit 1; }
URL="redis://127.0.0.1:$PORT/0"
BENCH="$MM_ROOT/.build/release/medicineman-bench"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

python_row=$("$VENV/bin/python" scripts/bench_bullmq.py "$URL" 20000 10 | tail -n 1)
swift_row=$("$BENCH" throughput --redis "$URL" --jobs "$JOBS" --concurrency 16 | tail -n 1)
echo "| tool | jobs | addBulk jobs/s | processed jobs/s |"
echo "|---|---:|---:|---:|"
echo "| python bullmq 3.4.4 worker, concurrency 10 | 20000 | $(field "$python_row" add_per_sec) | $(field "$python_row" process_per_sec) |"
echo "| medicineman-bench throughput, concurrency 16 | $JOBS | $(field "$swift_row" add_per_sec) | $(field "$swift_row" process_per_sec) |"
long_row=$("$BENCH" throughput --redis "$URL" --jobs "$LONG" --concurrency 16 --remove-on-complete | tail -n 1)
echo
echo "Long run ($LONG jobs, removeOnComplete): $long_row"
