#!/usr/bin/env bash
# Runs the whole test suite against real services: installs what is missing, starts Redis,
# PostgreSQL and an sshd test host on loopback, builds, tests, and stops what it started.
# Usage: scripts/test.sh [extra swift test arguments, e.g. --filter RedisClientTests]
#        scripts/test.sh --fast   (the fast tier only: no services, seconds)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
cd "$MM_ROOT"

mm_require_swift
# The fast tier: the job frame, launcher, scheduler, retention and request validation over
# in-memory stores. No service is started; it runs in seconds.
if [ "${1:-}" = "--fast" ]; then
  mm_log "building and running the fast tier (no services)"
  fast_log=$(mktemp)
  if ! swift build --build-tests >"$fast_log" 2>&1; then grep -E "error:" "$fast_log" | sort -u | head -n 40 >&2; exit 1; fi
  if grep -E "^$MM_ROOT/(Sources|Tests)/.*warning:" "$fast_log" | sort -u | grep .; then mm_log "our own targets have warnings"; exit 1; fi
  exec swift test --skip-build --filter FastTests
fi
[ "$(id -u)" = 0 ] || { mm_log "run as root: the sshd test host needs a system user"; exit 1; }
mm_install_packages prometheus chromium chromium-driver  # promtool checks /metrics; headless Chromium drives the dashboard

STATE="$MM_ROOT/.local/test"
mkdir -p "$STATE"
REDIS_PORT=${MM_TEST_REDIS_PORT:-6395}
REDIS_SPARE_PORT=$((REDIS_PORT + 1))   # restarted by tests; nothing else uses it
REDIS_CLUSTER_PORT=${MM_TEST_REDIS_CLUSTER_PORT:-7301}  # six nodes from here: three masters, three replicas
PG_PORT=${MM_TEST_PG_PORT:-5445}
PG_SPARE_PORT=$((PG_PORT + 1))        # restarted by tests
SSH_PORT=${MM_TEST_SSH_PORT:-2225}
S3_PORT=${MM_TEST_S3_PORT:-7350}      # moto: an S3-protocol server for the object-store backend
PG_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
SSH_USER=mmtest
SSH_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)

cleanup() {
  mm_stop_s3 "$STATE/s3"
  mm_stop_sshd "$STATE/sshd"
  mm_stop_redis "$STATE/redis" "$REDIS_PORT"
  mm_stop_redis "$STATE/redis-spare" "$REDIS_SPARE_PORT"
  mm_stop_redis_cluster "$STATE/redis-cluster" "$REDIS_CLUSTER_PORT"
  mm_stop_postgres "$STATE/postgres"
  mm_stop_postgres "$STATE/postgres-spare"
}
trap cleanup EXIT

export MM_PG_FSYNC=off  # test data is throwaway
export MM_PG_MAX_CONNECTIONS=400  # the suite runs many pools and medicineman processes at once
mm_start_redis "$STATE/redis" "$REDIS_PORT" no
mm_start_redis "$STATE/redis-spare" "$REDIS_SPARE_PORT" no
mm_start_redis_cluster "$STATE/redis-cluster" "$REDIS_CLUSTER_PORT"
mm_start_postgres "$STATE/postgres" "$PG_PORT" medicineman_test mmtest "$PG_PASSWORD"
mm_start_postgres "$STATE/postgres-spare" "$PG_SPARE_PORT" medicineman_test mmtest "$PG_PASSWORD"
for dir in postgres postgres-spare; do
  data=$(mm_pg_data_dir "$STATE/$dir")
  port=$PG_PORT; [ "$dir" = postgres ] || port=$PG_SPARE_PORT
  # CREATEDB for scratch databases; pg_signal_backend so DROP DATABASE … WITH (FORCE) may end an
  # autovacuum worker that happens to be connected.
  mm_pg_user_run psql -h "$data" -p "$port" -U postgres -d postgres -qAt -c 'ALTER ROLE mmtest CREATEDB' -c 'GRANT pg_signal_backend TO mmtest' >/dev/null
done
mm_start_sshd "$STATE/sshd" "$SSH_PORT" "$SSH_USER" "$SSH_PASSWORD"
mm_log "starting moto (S3) on $S3_PORT"
mm_start_s3 "$STATE/s3" "$S3_PORT" >/dev/null
source "$STATE/s3/s3.env"   # exports MM_TEST_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY

export MM_TEST_SERVICES="$MM_ROOT/scripts/services.sh"
export MM_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export MM_TEST_REDIS_SPARE_URL="redis://127.0.0.1:$REDIS_SPARE_PORT/0"
export MM_TEST_REDIS_SPARE_STATE="$STATE/redis-spare"
export MM_TEST_REDIS_SPARE_PORT="$REDIS_SPARE_PORT"
export MM_TEST_REDIS_CLUSTER_URL="redis+cluster://127.0.0.1:$REDIS_CLUSTER_PORT,127.0.0.1:$((REDIS_CLUSTER_PORT + 1)),127.0.0.1:$((REDIS_CLUSTER_PORT + 2))"
export MM_TEST_REDIS_CLUSTER_STATE="$STATE/redis-cluster"   # a node's pid: <state>/<port>/redis.pid
export MM_TEST_DATABASE_URL="postgres://mmtest:$PG_PASSWORD@127.0.0.1:$PG_PORT/medicineman_test"
export MM_TEST_DATABASE_SPARE_URL="postgres://mmtest:$PG_PASSWORD@127.0.0.1:$PG_SPARE_PORT/medicineman_test"
export MM_TEST_PG_SPARE_STATE="$STATE/postgres-spare"
export MM_TEST_PG_SPARE_PORT="$PG_SPARE_PORT"
export MM_TEST_PG_PASSWORD="$PG_PASSWORD"
export MM_TEST_SSH_HOST=127.0.0.1
export MM_TEST_SSH_PORT="$SSH_PORT"
export MM_TEST_SSH_USER="$SSH_USER"
export MM_TEST_SSH_PASSWORD="$SSH_PASSWORD"
export MM_TEST_SSH_KEYS="$STATE/sshd/keys"
export MM_TEST_SSH_FINGERPRINT="$(mm_sshd_fingerprint "$STATE/sshd")"
export MM_TEST_ROOT="$MM_ROOT"

mm_log "preparing the Python bullmq client (interoperability tests)"
VENV="$MM_ROOT/.local/venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import bullmq, sys; sys.exit(0 if bullmq.__version__ == "3.4.4" else 1)' 2>/dev/null \
  || "$VENV/bin/pip" install -q "bullmq==3.4.4"
# prometheus_client's parser checks that /metrics is valid exposition text.
"$VENV/bin/python" -c 'import prometheus_client' 2>/dev/null || "$VENV/bin/pip" install -q prometheus_client
# schemathesis fuzzes the live API against the committed OpenAPI document.
"$VENV/bin/python" -c 'import schemathesis, sys; sys.exit(0 if schemathesis.__version__ == "4.32.5" else 1)' 2>/dev/null \
  || "$VENV/bin/pip" install -q "schemathesis==4.32.5"
# selenium drives the headless Chromium of the dashboard's browser test.
"$VENV/bin/python" -c 'import selenium, sys; sys.exit(0 if selenium.__version__ == "4.51.0" else 1)' 2>/dev/null \
  || "$VENV/bin/pip" install -q "selenium==4.51.0"
export MM_TEST_PYTHON="$VENV/bin/python"
export MM_TEST_CHROMEDRIVER=/usr/bin/chromedriver
export MM_TEST_SCHEMATHESIS="$VENV/bin/schemathesis"
export MM_TEST_BENCH="$MM_ROOT/.build/debug/medicineman-bench"
export MM_TEST_MEDICINEMAN="$MM_ROOT/.build/debug/medicineman"

if [ "${1:-}" = "--services-only" ]; then
  export -p | grep ' MM_TEST_' >"$STATE/env.sh"   # for running single tests by hand: source it
  trap - EXIT
  mm_log "services are up; source $STATE/env.sh to use them"; exit 0
fi

mm_log "checking the format (swift format lint, .swift-format)"
if ! swift format lint --strict --configuration .swift-format -r Sources Tests Package.swift >"$STATE/format.log" 2>&1; then
  head -n 40 "$STATE/format.log" >&2
  mm_log "swift format lint found the above; run: swift format format -i --configuration .swift-format -r Sources Tests Package.swift"; exit 1
fi

mm_log "building (warnings in our own code fail the build)"
build_log="$STATE/build.log"
if ! swift build --build-tests >"$build_log" 2>&1; then
  grep -E 'error:' "$build_log" | sort -u | head -n 40 >&2 || true
  mm_log "build failed (full log: $build_log)"; exit 1
fi
if grep -E "^$MM_ROOT/(Sources|Tests)/.*warning:" "$build_log" | sort -u | grep .; then
  mm_log "our own targets have warnings (listed above)"; exit 1
fi

export -p | grep ' MM_TEST_' >"$STATE/env.sh"
# Swift Testing starts every test of a stage at once by default; on 2 cores the suite then holds
# hundreds of connections, threads and child processes (load average 11) and the tests that wait
# on a deadline miss it. Eight at a time finishes the stage as fast (about 60 s) at half the load.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-8}
if [ $# -gt 0 ]; then
  mm_log "running tests"
  swift test --skip-build "$@"
else
  # The suites that start whole processes, browsers or big streams run after the rest, one at a
  # time, so the timing-sensitive queue tests never share the 2 cores with them (and the memory
  # test measures its own stream, not its neighbours'). The test that moves the SSH user's restore
  # directory aside runs here too, so no other restore finds it gone.
  heavy='oneGigabyteStreamsWithFlatMemory|twoHundredMegabyteStreamKeepsMemoryFlat|aZstdBombIsReadWithBoundedMemory|BackupBrowseTests|ObjectStoreBackupTests|ClusterFailoverTests|CLIClientTests|ObjectStoreProcessTests|DashboardBrowserTests|MonitoringTests|CancellationTests|APIFuzzTests|CrashRecoveryTests|AttackEventStreamTests|AttackStartupTests|bcryptRunsOnABoundedPool|aSymlinkPlantedAsTheBaseDirectoryIsRefused'
  mm_log "running tests"
  swift test --skip-build --skip "$heavy"
  # The queue suites and the Python interop once more, on the Redis Cluster; flows across queues
  # of different hash tags cannot run there (as in BullMQ), nor Python bullmq's FlowProducer.
  mm_log "running the queue suites against the Redis Cluster"
  cluster_unsupported='parentRunsAfterItsChildrenAndReadsTheirResults|aChildPythonProcessedReleasesOurParent|removeTakesTheChildrenAlongUnlessToldNot|retriedChildrenRejoinTheirParentsAcrossPythonAndUs|pythonsFlowIsReleasedWhenOurWorkerDeletesTheFailedChild|removalRulesHoldBetweenPythonAndUs'
  MM_TEST_QUEUE_REDIS=cluster swift test --skip-build --filter JobQueueTests --skip "$heavy|$cluster_unsupported"
  mm_log "running the heavy tests, one at a time"
  swift test --skip-build --filter "$heavy" --no-parallel
fi

# The chaos suite's short form (RELIABILITY.md) with the binary just built; its own Redis,
# PostgreSQL and sshd hosts, on ports of its own. Skipped when running a selection of tests.
if [ $# -eq 0 ]; then
  mm_log "running the chaos suite (short form)"
  MM_CHAOS_BINARY="$MM_ROOT/.build/debug/medicineman" bash "$MM_ROOT/scripts/chaos.sh" --short --seed "${MM_CHAOS_SEED:-20261130}"
fi
