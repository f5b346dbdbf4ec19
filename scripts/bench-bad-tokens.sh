#!/usr/bin/env bash
# Made-up bearer tokens against the API, on throwaway Redis and PostgreSQL. A victim reads
# GET /api/servers (one PostgreSQL query, a valid cached token) alone, then while wrk floods the
# same route with random well-formed tokens. Runs (MM_BENCH_TOKEN_RUNS, in order; default
# "slots digests"): `digests`, the default (the live tokens' digests in memory: a made-up token
# costs no lookup); `slots`, the reference from the same run (AUTH_TOKEN_DIGESTS=false: each token a
# lookup, bounded by AUTH_LOOKUP_SLOTS, a quarter of the 10-connection pool); `unbounded`
# (AUTH_TOKEN_DIGESTS=false, AUTH_LOOKUP_SLOTS=10: lookups may take every pool connection).
# BAD_TOKEN_LIMIT_PER_MINUTE=0 stands for a flood from many networks (from one address the lookups
# would be cut off after 30 tokens). PostgreSQL's committed transactions a second are read from
# pg_stat_database while the victim runs under the flood.
# Usage: scripts/bench-bad-tokens.sh [seconds] [flood connections]   (prints Markdown for BENCHMARKS.md)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
mm_prepare wrk
SECONDS_PER_RUN=${1:-10}
FLOOD=${2:-64}
API_PORT=${MM_BENCH_API_PORT:-3993}
mm_start_bench_services bad-tokens 6391 5449   # sets STATE, REDIS_PORT, PG_PORT, PASSWORD; stops them, and the PIDs in `pids`, on exit

mm_bench_build release medicineman
export DATABASE_POOL_SIZE=10 BAD_TOKEN_LIMIT_PER_MINUTE=0
mm_bench_api_environment "$API_PORT"

# A fresh `mm_` + 64 hex digits per request; counts the answers by status.
cat >"$STATE/made-up.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  math.randomseed(os.time() + math.random(1, 1000000))
  unauthorized, busy, other = 0, 0, 0
end
local hex = "0123456789abcdef"
function request()
  local digits = {}
  for i = 1, 64 do local n = math.random(1, 16); digits[i] = hex:sub(n, n) end
  return wrk.format("GET", "/api/servers", { ["Authorization"] = "Bearer mm_" .. table.concat(digits) })
end
function response(status)
  if status == 401 then unauthorized = unauthorized + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done()
  local u, b, o = 0, 0, 0
  for _, t in ipairs(threads) do u = u + t:get("unauthorized"); b = b + t:get("busy"); o = o + t:get("other") end
  io.write(string.format("statuses: 401=%d 503=%d other=%d\n", u, b, o))
end
LUA

victim() { wrk -t1 -c4 -d"${SECONDS_PER_RUN}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/api/servers" | mm_wrk_summary; }
commits() { psql "$DATABASE_URL" -Atc "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }

echo "| run | victim: GET /api/servers (wrk -t1 -c4 -d${SECONDS_PER_RUN}s) | requests/s | p50 | p99 | flood (wrk -t1 -c$FLOOD, made-up tokens) | PostgreSQL commits/s |"
echo "|---|---|---:|---:|---:|---|---:|"
for run in ${MM_BENCH_TOKEN_RUNS:-slots digests}; do
  case $run in
    digests) unset AUTH_TOKEN_DIGESTS AUTH_LOOKUP_SLOTS; label="digests in memory (the default)" ;;
    slots) export AUTH_TOKEN_DIGESTS=false; unset AUTH_LOOKUP_SLOTS; label="lookups in 3 slots (AUTH_TOKEN_DIGESTS=false)" ;;
    unbounded) export AUTH_TOKEN_DIGESTS=false AUTH_LOOKUP_SLOTS=10; label="lookups unbounded (AUTH_TOKEN_DIGESTS=false, AUTH_LOOKUP_SLOTS=10)" ;;
    *) echo "unknown run $run (digests, slots, unbounded)" >&2; exit 2 ;;
  esac
  "$BIN" api >"$STATE/api-$run.log" 2>&1 & api=$!; pids+=($api)
  mm_wait_for "the API" 100 curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/ready"
  curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/api/servers"
  mm_log "$label: the victim alone, then under the flood"
  echo "| $label | alone | $(victim) | — | — |"
  wrk -t1 -c"$FLOOD" -d"$((SECONDS_PER_RUN + 2))s" -s "$STATE/made-up.lua" "http://127.0.0.1:$API_PORT/" >"$STATE/flood-$run.txt" &
  flood=$!
  sleep 1
  before=$(commits); started=$(date +%s.%N)
  under=$(victim)
  after=$(commits); ended=$(date +%s.%N)
  wait "$flood"
  rate=$(awk '/Requests\/sec:/ { printf "%d req/s", $2 }' "$STATE/flood-$run.txt")
  per_second=$(awk -v a="$before" -v b="$after" -v s="$started" -v e="$ended" 'BEGIN { printf "%d", (b - a) / (e - s) }')
  echo "| $label | under the flood | $under | $rate, $(grep -o 'statuses: .*' "$STATE/flood-$run.txt" | cut -d' ' -f2-) | $per_second |"
  kill "$api"; wait "$api" 2>/dev/null || true
done
