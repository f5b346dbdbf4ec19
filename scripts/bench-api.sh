#!/usr/bin/env bash
# HTTP benchmarks with wrk, in one run on throwaway Redis and PostgreSQL:
#   GET /api/jobs/:id through the whole stack (bearer token, Redis) next to a Hummingbird
#   hello-world built the same way; then the job list and /metrics with 100,000 finished jobs in Redis.
# Usage: scripts/bench-api.sh [seconds] [connections]   (prints Markdown for BENCHMARKS.md)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
mm_prepare wrk
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-64}
API_PORT=${MM_BENCH_API_PORT:-3997}
HELLO_PORT=${MM_BENCH_HELLO_PORT:-3996}
mm_start_bench_services api 6398 5447   # sets STATE, REDIS_PORT, PG_PORT, PASSWORD; stops them, and the PIDs in `pids`, on exit

mm_bench_build release medicineman medicineman-bench
mm_bench_api_environment "$API_PORT"
"$BIN" api >"$STATE/api.log" 2>&1 & pids+=($!)
"$BENCH" hello --port "$HELLO_PORT" >"$STATE/hello.log" 2>&1 & pids+=($!)
mm_wait_for "the API" 100 curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/ready"
mm_wait_for "the hello-world" 100 curl -fsS -o /dev/null "http://127.0.0.1:$HELLO_PORT/"
"$BENCH" add --redis "$REDIS_URL" --queue backup-queue --name backup:manual --data '{"recordId":"bench"}' --opts '{"jobId":"bench-job"}' >/dev/null
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/api/jobs/bench-job"

run_wrk() { wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" | mm_wrk_summary; }
mm_log "wrk: hello-world, then GET /api/jobs/:id ($CONNECTIONS connections, ${SECONDS_PER_RUN}s each)"
hello=$(run_wrk "http://127.0.0.1:$HELLO_PORT/")
job=$(run_wrk -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/api/jobs/bench-job")
echo "| endpoint (wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s) | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
echo "| Hummingbird hello-world (medicineman-bench hello) | $hello |"
echo "| GET /api/jobs/:id (bearer API token, Redis) | $job |"

mm_log "filling scan-queue with 100,000 completed jobs"
"$BENCH" throughput --redis "$REDIS_URL" --queue scan-queue --jobs 100000 --concurrency 16 >/dev/null
completed=$(redis-cli -p "$REDIS_PORT" ZCARD bull:scan-queue:completed)
# The job list merges every queue and state, newest first: it reads each state's first
# offset + limit ids and their timestamps, then only the page in full.
list=$(run_wrk -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/api/jobs?limit=50")
echo
echo "| endpoint, $completed completed jobs in scan-queue (wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s) | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
echo "| GET /api/jobs?limit=50 (all queues and states) | $list |"
times=$(for _ in $(seq 1 200); do curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$API_PORT/metrics"; done)
echo
echo "| /metrics with $completed completed jobs in scan-queue (200 sequential curl scrapes) | median | p99 | max |"
echo "|---|---:|---:|---:|"
python3 - "$times" <<'PY'
import statistics, sys
values = sorted(float(v) * 1000 for v in sys.argv[1].split())
p99 = values[int(len(values) * 0.99) - 1]
print(f"| render + transfer | {statistics.median(values):.2f} ms | {p99:.2f} ms | {values[-1]:.2f} ms |")
PY
