#!/usr/bin/env bash
# The chaos suite (RELIABILITY.md): starts its own Redis (AOF everysec), PostgreSQL, two sshd test
# hosts and medicineman serve/api/worker processes on loopback, requests work through the API while
# killing and restarting them at random times from a seed, then checks that nothing was lost.
# Usage: scripts/chaos.sh --short                 the form scripts/test.sh runs (under 5 minutes)
#        scripts/chaos.sh [--duration S] [--seed N] the long form (default 30 minutes of faults)
# Needs root (it creates the sshd test user and mounts a small tmpfs as BACKUP_DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
cd "$MM_ROOT"
[ "$(id -u)" = 0 ] || { mm_log "run as root"; exit 1; }
mm_require_swift
mm_install_packages procps util-linux
binary=${MM_CHAOS_BINARY:-}
if [ -z "$binary" ]; then
  swift build --product medicineman >/dev/null
  binary="$MM_ROOT/.build/debug/medicineman"
fi
exec python3 "$MM_ROOT/scripts/chaos/chaos.py" --binary "$binary" "$@"
