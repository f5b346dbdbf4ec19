#!/usr/bin/env bash
# Runs the platform: installs what is missing, starts Redis (AOF) and PostgreSQL under .local/run
# on loopback unless REDIS_URL / DATABASE_URL point elsewhere, generates ENCRYPTION_KEY once,
# builds, migrates and serves until Ctrl-C or SIGTERM (then stops the servers it started).
# Usage: scripts/run.sh            HOST/PORT (default 127.0.0.1:3000) and README's other settings apply.
#        scripts/run.sh SUBCOMMAND…  runs `medicineman SUBCOMMAND…` with the same settings and services
#                                    (e.g. `scripts/run.sh user create --username ada --role admin`), then stops.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
mm_prepare

STATE="$MM_ROOT/.local/run"
mkdir -p "$STATE"
chmod 700 "$STATE"
started=()
stop_started() {
  for service in "${started[@]}"; do
    case $service in
      redis) mm_stop_redis "$STATE/redis" "$MM_RUN_REDIS_PORT" ;;
      postgres) mm_stop_postgres "$STATE/postgres" ;;
    esac
  done
}
trap stop_started EXIT

if [ -z "${REDIS_URL:-}" ] && [ -z "${REDIS_HOST:-}" ]; then
  MM_RUN_REDIS_PORT=${MM_RUN_REDIS_PORT:-6390}
  mm_start_redis "$STATE/redis" "$MM_RUN_REDIS_PORT" yes
  started+=(redis)
  export REDIS_URL="redis://127.0.0.1:$MM_RUN_REDIS_PORT/0"
fi

if [ -z "${DATABASE_URL:-}" ] && [ -z "${PGHOST:-}" ]; then
  [ "$(id -u)" = 0 ] || { mm_log "starting a local PostgreSQL needs root (or set DATABASE_URL)"; exit 1; }
  MM_RUN_PG_PORT=${MM_RUN_PG_PORT:-5440}
  [ -s "$STATE/postgres.password" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$STATE/postgres.password")
  mm_start_postgres "$STATE/postgres" "$MM_RUN_PG_PORT" medicineman medicineman "$(cat "$STATE/postgres.password")"
  started+=(postgres)
  export DATABASE_URL="postgres://medicineman:$(cat "$STATE/postgres.password")@127.0.0.1:$MM_RUN_PG_PORT/medicineman"
fi

if [ -z "${ENCRYPTION_KEY:-}" ]; then
  # Generated once and kept: losing it makes stored credentials unreadable. Back it up.
  [ -s "$STATE/encryption.key" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/encryption.key")
  ENCRYPTION_KEY=$(cat "$STATE/encryption.key")
  export ENCRYPTION_KEY
fi
export MIGRATIONS_DIR=${MIGRATIONS_DIR:-$MM_ROOT/migrations}
export BACKUP_DIR=${BACKUP_DIR:-$STATE/backups}

mm_log "building medicineman (release; the first build takes a few minutes)"
swift build -c release --product medicineman >"$STATE/build.log" 2>&1 || { tail -n 40 "$STATE/build.log" >&2; mm_log "build failed (log: $STATE/build.log)"; exit 1; }

if [ "$#" -gt 0 ]; then
  # A one-off command against the same Redis, PostgreSQL and key; the schema is brought up to date first.
  if [ "$1" != migrate ]; then "$MM_ROOT/.build/release/medicineman" migrate >/dev/null; fi
  status=0
  "$MM_ROOT/.build/release/medicineman" "$@" || status=$?
  exit "$status"
fi

mm_log "serving on http://${HOST:-127.0.0.1}:${PORT:-3000} (dashboard: /, health: /health, readiness: /ready); Ctrl-C stops it"
"$MM_ROOT/.build/release/medicineman" serve &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
status=0
wait "$server" || status=$?
# A signal interrupts the first wait; wait again for the graceful drain to finish.
if kill -0 "$server" 2>/dev/null; then wait "$server" || status=$?; fi
exit "$status"
