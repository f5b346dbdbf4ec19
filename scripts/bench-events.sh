#!/usr/bin/env bash
# Live job event streams (SSE) at scale, on throwaway Redis and PostgreSQL on loopback: one
# release `medicineman api` (stream caps raised for the run), N streams opened on it by
# `medicineman-bench event-streams`, which records the API's threads (/proc/<pid>/status) and its
# Redis clients (CLIENT LIST) before, with and after the streams, and the latency from a job's
# progress update to its arrival at every stream watching that job.
# Usage: scripts/bench-events.sh [streams] [jobs] [events]   (defaults 1000 10 100)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
cd "$MM_ROOT"
mm_require_swift
STREAMS=${1:-1000}
JOBS=${2:-10}
EVENTS=${3:-100}
API_PORT=${MM_BENCH_API_PORT:-3995}
mm_start_bench_services events 6393 5448   # sets STATE, REDIS_PORT, PG_PORT, PASSWORD; stops them, and the PIDs in `pids`, on exit

mm_bench_build "${MM_BENCH_BUILD:-release}" medicineman medicineman-bench   # MM_BENCH_BUILD=debug: a quick try of the script itself
# Each stream is a socket on both sides.
ulimit -n "$(( STREAMS * 2 + 1024 ))"
export SSE_MAX_STREAMS=$(( STREAMS + 10 )) SSE_MAX_STREAMS_PER_USER=$(( STREAMS + 10 ))
mm_bench_api_environment "$API_PORT"
"$BIN" api >"$STATE/api.log" 2>&1 & api_pid=$!; pids+=($api_pid)
mm_wait_for "the API" 100 curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/ready"

mm_log "event-streams: $STREAMS streams over $JOBS jobs, $EVENTS progress events"
timeout 600 "$BENCH" event-streams --port "$API_PORT" --token "$TOKEN" --server-pid "$api_pid" --redis "$REDIS_URL" \
  --streams "$STREAMS" --jobs "$JOBS" --events "$EVENTS"
