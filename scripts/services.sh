#!/usr/bin/env bash
# Local Redis, PostgreSQL and sshd on loopback, each under a state folder of its own.
# Sourced by run.sh and test.sh; also callable: services.sh start|stop|restart redis|postgres STATE_DIR PORT …,
# services.sh start|stop|fingerprint sshd STATE_DIR [PORT USER PASSWORD]
set -euo pipefail

MM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

mm_log() { printf '[medicineman] %s\n' "$*" >&2; }

# Puts the Swift toolchain on PATH (the machine image keeps it under /opt/swift).
mm_require_swift() {
  command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
  command -v swift >/dev/null 2>&1 || { mm_log "Swift 6.2 or newer is needed: install a toolchain from swift.org and put it on PATH"; exit 1; }
}

# The start of a script that builds with Swift: from the repository root, with a toolchain, and
# (as root) the Debian packages the platform needs plus those named.
mm_prepare() {
  cd "$MM_ROOT"
  mm_require_swift
  if [ "$(id -u)" = 0 ]; then mm_install_packages "$@"; fi
}

# Installs the Debian packages the platform and its tests need, when any is missing.
mm_install_packages() {
  local wanted=(redis-server redis-tools postgresql-15 postgresql-client-15 libhiredis-dev libpq-dev
                libssh2-1-dev libcrypt-dev openssh-server openssh-client curl ca-certificates zstd python3 python3-venv python3-pip "$@")
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    mm_log "installing: ${missing[*]}"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts packaged servers on install where it can; ours run on their own ports, so
  # those are left alone.
}

mm_wait_for() { # description, tries, command...
  local what=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  mm_log "$what did not come up"; return 1
}

# --- Redis --------------------------------------------------------------------------------------
mm_start_redis() { # state_dir port [durable]
  local dir=$1 port=$2 durable=${3:-yes}
  mkdir -p "$dir"
  if redis-cli -p "$port" ping >/dev/null 2>&1; then return 0; fi
  local persistence=(--appendonly yes --appendfsync everysec --save "")
  [ "$durable" = yes ] || persistence=(--appendonly no --save "")
  # Tests use DEBUG SLEEP to provoke command timeouts; throwaway servers only.
  [ "$durable" = yes ] || persistence+=(--enable-debug-command local)
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --maxmemory-policy noeviction "${persistence[@]}" \
    </dev/null >"$dir/redis.stdout" 2>&1 || { cat "$dir/redis.stdout" >&2; return 1; }
  mm_wait_for "redis on $port" 50 redis-cli -p "$port" ping
}

mm_stop_redis() { # state_dir port
  redis-cli -p "$2" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do redis-cli -p "$2" ping >/dev/null 2>&1 || return 0; sleep 0.1; done
}

# --- Redis Cluster (tests) ----------------------------------------------------------------------
# Six throwaway nodes on BASE_PORT..BASE_PORT+5: three masters, each with a replica. A short
# cluster-node-timeout makes a replica take over within a couple of seconds of its master dying.
mm_start_redis_cluster_node() { # state_dir port
  local dir=$1/$2 port=$2
  mkdir -p "$dir"
  if redis-cli -p "$port" ping >/dev/null 2>&1; then return 0; fi
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly no --save "" \
    --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 1000 \
    --cluster-replica-validity-factor 0 --enable-debug-command local \
    </dev/null >"$dir/redis.stdout" 2>&1 || { cat "$dir/redis.stdout" >&2; return 1; }
  mm_wait_for "redis cluster node on $port" 50 redis-cli -p "$port" ping
}

mm_start_redis_cluster() { # state_dir base_port
  local dir=$1 base=$2 nodes=()
  for port in $(seq "$base" $((base + 5))); do
    mm_start_redis_cluster_node "$dir" "$port"
    nodes+=("127.0.0.1:$port")
  done
  if ! redis-cli -p "$base" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; then
    if [ "$(redis-cli -p "$base" cluster info | awk -F: '/cluster_known_nodes/{print $2}' | tr -d '\r')" = 1 ]; then
      redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
        || { cat "$dir/create.log" >&2; return 1; }
    fi
  fi
  mm_wait_for "redis cluster on $base" 100 sh -c "redis-cli -p $base cluster info | grep -q cluster_state:ok"
  # Every node must know all six before tests read slot maps.
  mm_wait_for "redis cluster nodes on $base" 100 sh -c \
    "for p in \$(seq $base $((base + 5))); do [ \$(redis-cli -p \$p cluster nodes | wc -l) = 6 ] || exit 1; done"
}

mm_stop_redis_cluster() { # state_dir base_port
  local dir=$1 base=$2
  for port in $(seq "$base" $((base + 5))); do
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    [ -f "$dir/$port/redis.pid" ] && kill -9 "$(cat "$dir/$port/redis.pid")" 2>/dev/null || true
  done
  rm -rf "${dir:?}"/[0-9]*
}

# --- PostgreSQL ---------------------------------------------------------------------------------
# PostgreSQL refuses to run as root, so as root the cluster belongs to the 'postgres' user and
# lives where that user can reach it.
mm_pg_user_run() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mm_pg_data_dir() { # state_dir -> where the cluster lives
  local dir=$1
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir/.." 2>/dev/null; then
    echo "/var/tmp/medicineman-pg-$(echo "$dir" | md5sum | cut -c1-12)"
  else
    echo "$dir/pgdata"
  fi
}

mm_start_postgres() { # state_dir port database user password
  local dir=$1 port=$2 database=$3 user=$4 password=$5
  mkdir -p "$dir"
  local data; data=$(mm_pg_data_dir "$dir")
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    chmod 700 "$data"
    mm_pg_user_run "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  if ! mm_pg_user_run "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    mm_pg_user_run "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data -c fsync=${MM_PG_FSYNC:-on} -c max_connections=${MM_PG_MAX_CONNECTIONS:-100}" start </dev/null >/dev/null
  fi
  local psql=(mm_pg_user_run psql -h "$data" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
  # Identifiers come from our own scripts; the password is passed as a psql variable and quoted by psql.
  local verb=CREATE
  [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" = 1 ] && verb=ALTER
  "${psql[@]}" -v pw="$password" <<<"$verb ROLE \"$user\" LOGIN PASSWORD :'pw';"
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE \"$database\" OWNER \"$user\""
  fi
}

mm_stop_postgres() { # state_dir
  local data; data=$(mm_pg_data_dir "$1")
  [ -d "$data" ] || return 0
  mm_pg_user_run "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# --- Benchmarks -----------------------------------------------------------------------------------
# Throwaway Redis and PostgreSQL for the benchmark script `name` on loopback, in
# .local/bench-<name>, on the ports given unless MM_BENCH_REDIS_PORT / MM_BENCH_PG_PORT say
# otherwise. Sets STATE, REDIS_PORT, PG_PORT, PASSWORD (the database user mmbench's) and the array
# `pids`; on exit kills those PIDs and stops both servers.
mm_start_bench_services() { # name redis_port pg_port
  STATE="$MM_ROOT/.local/bench-$1" REDIS_PORT=${MM_BENCH_REDIS_PORT:-$2} PG_PORT=${MM_BENCH_PG_PORT:-$3}
  MM_BENCH_STATE=$STATE MM_BENCH_REDIS=$REDIS_PORT MM_BENCH_PG=$PG_PORT
  mkdir -p "$STATE"
  pids=()
  trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true
        mm_stop_redis "$MM_BENCH_STATE/redis" "$MM_BENCH_REDIS"; mm_stop_postgres "$MM_BENCH_STATE/postgres"' EXIT
  PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mm_start_redis "$STATE/redis" "$REDIS_PORT" no
  mm_start_postgres "$STATE/postgres" "$PG_PORT" medicineman_bench mmbench "$PASSWORD"
}

# Builds the products named in the configuration named (release; debug to try a script quickly),
# logging to the benchmark's state directory; sets BIN (medicineman) and BENCH (medicineman-bench).
mm_bench_build() { # configuration product...
  local configuration=$1 product; shift
  mm_log "building $* ($configuration)"
  for product in "$@"; do
    swift build -c "$configuration" --product "$product" >"$MM_BENCH_STATE/build.log" 2>&1 || { tail -n 30 "$MM_BENCH_STATE/build.log" >&2; exit 1; }
  done
  BIN="$MM_ROOT/.build/$configuration/medicineman" BENCH="$MM_ROOT/.build/$configuration/medicineman-bench"
}

# wrk's summary on stdin as a Markdown row's cells: "requests/s | p50 | p99".
mm_wrk_summary() {
  awk '/Requests\/sec:/ { rate = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { printf "%d | %s | %s", rate, p50, p99 }'
}

# The environment of a benchmark's `medicineman api` on the services above (a fresh ENCRYPTION_KEY,
# backups in the state directory), the schema migrated, and a viewer's API token in TOKEN.
mm_bench_api_environment() { # api_port
  export DATABASE_URL="postgres://mmbench:$PASSWORD@127.0.0.1:$MM_BENCH_PG/medicineman_bench"
  export REDIS_URL="redis://127.0.0.1:$MM_BENCH_REDIS/0" HOST=127.0.0.1 PORT=$1 QUEUE_PREFIX=bull LOG_LEVEL=error
  export ENCRYPTION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') BACKUP_DIR="$MM_BENCH_STATE/backups"
  export MIGRATIONS_DIR="$MM_ROOT/migrations"
  "$BIN" migrate >/dev/null
  "$BIN" user create --username bench --password "bench-$PASSWORD" --role viewer >/dev/null 2>&1 || true
  TOKEN=$("$BIN" token create --username bench --name "bench-$(date +%s%N)")
}

# --- sshd test host -----------------------------------------------------------------------------
# A test user with a password and authorized keys of every supported type; sshd with its own
# config, host key and port. Needs root (it creates the user and binds as sshd).
mm_start_sshd() { # state_dir port user password
  local dir=$1 port=$2 user=$3 password=$4
  mkdir -p "$dir/keys" /run/sshd
  chmod 755 "$dir" "$dir/keys"
  [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N "" -f "$dir/ssh_host_ed25519_key"
  id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
  # Source trees a killed test run left behind (a test removes its own when it ends).
  local home
  home=$(getent passwd "$user" | cut -d: -f6)
  [ -z "$home" ] || find "$home" -mindepth 1 -maxdepth 1 -type d -name 'flow_*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  echo "$user:$password" | chpasswd
  [ -f "$dir/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C mm-ed25519 -f "$dir/keys/id_ed25519"
  [ -f "$dir/keys/id_rsa" ] || ssh-keygen -q -t rsa -b 3072 -N "" -C mm-rsa -f "$dir/keys/id_rsa"
  [ -f "$dir/keys/id_ecdsa" ] || ssh-keygen -q -t ecdsa -b 256 -N "" -C mm-ecdsa -f "$dir/keys/id_ecdsa"
  [ -f "$dir/keys/id_ed25519_pass" ] || ssh-keygen -q -t ed25519 -N "correct horse" -C mm-pass -f "$dir/keys/id_ed25519_pass"
  [ -f "$dir/keys/id_unknown" ] || ssh-keygen -q -t ed25519 -N "" -C mm-unknown -f "$dir/keys/id_unknown"
  cat "$dir/keys/id_ed25519.pub" "$dir/keys/id_rsa.pub" "$dir/keys/id_ecdsa.pub" "$dir/keys/id_ed25519_pass.pub" >"$dir/authorized_keys"
  chmod 644 "$dir/authorized_keys" "$dir"/keys/*
  cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
# libssh2 1.10 (Debian 12) signs RSA user keys with ssh-rsa (SHA-1) only; OpenSSH >= 8.8 turns
# that off by default. Servers that hold RSA keys need this line too (README: SSH keys).
PubkeyAcceptedAlgorithms +ssh-rsa
UsePAM no
StrictModes no
PermitRootLogin no
AllowUsers $user
MaxStartups 200
MaxSessions 100
MaxAuthTries 10
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
  if [ -f "$dir/sshd.pid" ] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then return 0; fi
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null
  mm_wait_for "sshd on $port" 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
}

mm_stop_sshd() { # state_dir
  [ -f "$1/sshd.pid" ] && kill "$(cat "$1/sshd.pid")" 2>/dev/null || true
  rm -f "$1/sshd.pid"
}

mm_sshd_fingerprint() { # state_dir
  ssh-keygen -l -E sha256 -f "$1/ssh_host_ed25519_key.pub" | awk '{print $2}'
}

# --- S3-compatible object store (moto in server mode, from PyPI) --------------------------------
# Authentication is on (INITIAL_NO_AUTH_ACTION_COUNT=0 after set-up): requests must carry a SigV4
# signature of the access key mm_start_s3 creates, printed as `export MM_TEST_S3_…` lines.
mm_start_s3() { # state_dir port -> writes state_dir/s3.env
  local dir=$1 port=$2 venv="$MM_ROOT/.local/venv"
  mkdir -p "$dir"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import moto.server' 2>/dev/null || "$venv/bin/pip" install -q 'moto[server]==5.2.5'
  if ! curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
    INITIAL_NO_AUTH_ACTION_COUNT=3 MOTO_S3_CUSTOM_ENDPOINTS="http://127.0.0.1:$port" \
      setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
    mm_wait_for "moto on $port" 100 curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/"
    # The first unauthenticated actions create the user whose key every later request must sign with.
    "$venv/bin/python" - "$port" >"$dir/s3.env" <<'PY'
import sys, boto3, json
endpoint = f"http://127.0.0.1:{sys.argv[1]}"
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="medicineman")
iam.put_user_policy(UserName="medicineman", PolicyName="s3", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="medicineman")["AccessKey"]
print(f"export MM_TEST_S3_ENDPOINT={endpoint}")
print(f"export MM_TEST_S3_REGION=us-east-1")
print(f"export MM_TEST_S3_ACCESS_KEY_ID={key['AccessKeyId']}")
print(f"export MM_TEST_S3_SECRET_ACCESS_KEY={key['SecretAccessKey']}")
PY
  fi
  cat "$dir/s3.env"
}

mm_stop_s3() { # state_dir
  local pid
  pid=$(cat "$1/moto.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1/moto.pid"
}

# Command-line use (tests restart servers through this).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Daemons started here must not inherit the caller's descriptors (a test runner waits for
  # its pipes and process-exit sockets to close).
  for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true; done
  action=${1:?start|stop|restart}; service=${2:?redis|redis-cluster|redis-cluster-node|postgres|sshd}; shift 2
  [ $# -gt 0 ] && set -- "$(mkdir -p "$1" && cd "$1" && pwd)" "${@:2}"   # daemons chdir: absolute state dir
  case "$action:$service" in
    start:redis) mm_start_redis "$1" "$2" "${3:-no}" ;;
    stop:redis) mm_stop_redis "$1" "$2" ;;
    restart:redis) mm_stop_redis "$1" "$2"; mm_start_redis "$1" "$2" "${3:-no}" ;;
    start:redis-cluster) mm_start_redis_cluster "$1" "$2" ;;
    stop:redis-cluster) mm_stop_redis_cluster "$1" "$2" ;;
    start:redis-cluster-node) mm_start_redis_cluster_node "$1" "$2" ;;
    stop:postgres) mm_stop_postgres "$1" ;;
    start:postgres) mm_start_postgres "$@" ;;
    restart:postgres) mm_stop_postgres "$1"; mm_start_postgres "$@" ;;
    start:sshd) mm_start_sshd "$@" ;;
    stop:sshd) mm_stop_sshd "$1" ;;
    fingerprint:sshd) mm_sshd_fingerprint "$1" ;;
    start:s3) mm_start_s3 "$1" "$2" ;;
    stop:s3) mm_stop_s3 "$1" ;;
    *) echo "unknown: $action $service" >&2; exit 2 ;;
  esac
fi
