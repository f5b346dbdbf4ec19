#!/usr/bin/env bash
# Measured scaling (docs/SCALING.md): queue throughput with 1, 2 and 4 worker processes on one
# Redis, then with 1 and 3 queues on a local 3-master Redis Cluster, each with the Redis CPU one
# job costs. Starts its own throwaway Redis and cluster on loopback and stops them after.
# Prints Markdown rows for BENCHMARKS.md.
# Usage: scripts/bench-scaling.sh [jobs per queue]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
mm_prepare
JOBS=${1:-100000}
STATE="$MM_ROOT/.local/bench-scaling"
PORT=${MM_BENCH_REDIS_PORT:-6397}
CLUSTER_PORT=${MM_BENCH_CLUSTER_PORT:-7311}
mkdir -p "$STATE"
trap 'mm_stop_redis "$STATE/redis" "$PORT"; mm_stop_redis_cluster "$STATE/cluster" "$CLUSTER_PORT"' EXIT
swift build -c release --product medicineman-bench >"$STATE/build.log" 2>&1 || { tail -n 30 "$STATE/build.log" >&2; exit 1; }
BENCH="$MM_ROOT/.build/release/medicineman-bench"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
row() { # label json
  echo "| $1 | $(field "$2" jobs) | $(field "$2" seconds) | $(field "$2" jobs_per_sec) | $(field "$2" redis_cpu_us_per_job) |"
}

echo "| setup | jobs | seconds | processed jobs/s | Redis CPU µs/job (masters) |"
echo "|---|---:|---:|---:|---:|"
mm_start_redis "$STATE/redis" "$PORT" no
for processes in 1 2 4; do
  out=$("$BENCH" scale --redis "redis://127.0.0.1:$PORT/0" --jobs "$JOBS" --processes "$processes" \
        --cpu-nodes "127.0.0.1:$PORT" | tail -n 1)
  row "one Redis, 1 queue, $processes worker process(es)" "$out"
done
mm_stop_redis "$STATE/redis" "$PORT"

mm_start_redis_cluster "$STATE/cluster" "$CLUSTER_PORT"
# The masters' CPU (the first three nodes of a fresh cluster): what one core per master must carry.
nodes=$(for i in 0 1 2; do printf '127.0.0.1:%d,' $((CLUSTER_PORT + i)); done)
nodes=${nodes%,}
redis-cli -p "$CLUSTER_PORT" cluster nodes | grep -c master | grep -qx 3 || { echo "the cluster does not have 3 masters" >&2; exit 1; }
for queues in 1 3; do
  out=$("$BENCH" scale --redis "redis+cluster://127.0.0.1:$CLUSTER_PORT" --queues "$queues" --jobs "$JOBS" \
        --processes 1 --cpu-nodes "$nodes" | tail -n 1)
  row "3-master cluster (+3 replicas), $queues queue(s), 1 worker process each" "$out"
done
