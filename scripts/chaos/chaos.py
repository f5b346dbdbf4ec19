"""The chaos suite: real Redis (AOF everysec), PostgreSQL, two sshd hosts (one behind a proxy that
can stall) and three medicineman processes (serve, api, worker); backups, scans and updates are
requested through the API and a schedule while faults are injected at random times from a seed.
When the faults stop and the platform has recovered, every promise is checked and a report is
printed; the exit status is 0 only when every check holds.

Run it through scripts/chaos.sh (which installs, builds and passes the binary):
    scripts/chaos.sh --short                 the form the test command runs (under 5 minutes)
    scripts/chaos.sh --duration 1800 --seed 7  the long form, by hand
"""
import argparse
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

from proxy import StallingProxy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVICES = os.path.join(ROOT, "scripts", "services.sh")
PG_BIN = "/usr/lib/postgresql/15/bin"


def log(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def services(*arguments, check=True):
    return subprocess.run(["bash", SERVICES, *map(str, arguments)], check=check, capture_output=True, text=True)


class Platform:
    """The services, the medicineman processes and the settings they share."""

    def __init__(self, binary, state, short):
        self.binary = binary
        self.state = state
        self.short = short
        self.redis_port = free_port()
        self.pg_port = free_port()
        self.pg_password = secrets.token_hex(12)
        self.ssh_password = secrets.token_hex(12)
        self.ssh_ports = [free_port(), free_port()]
        self.proxy = StallingProxy(self.ssh_ports[1])
        self.backup_dir = os.path.join(state, "backups")
        self.processes = {}
        self.pids_before_faults = {}
        self.tmpfs = False
        self.environment = {}

    # --- services --------------------------------------------------------------------------
    def start_services(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=384m", "tmpfs", self.backup_dir], check=True, capture_output=True)
            self.tmpfs = True
        except (subprocess.CalledProcessError, FileNotFoundError):
            log("BACKUP_DIR is a plain directory (no tmpfs); the disk-full fault is skipped")
        self.start_redis()
        services("start", "postgres", self.dir("postgres"), self.pg_port, "chaos", "chaos", self.pg_password)
        for index, port in enumerate(self.ssh_ports):
            services("start", "sshd", self.dir(f"sshd-{index}"), port, "mmtest", self.ssh_password)
        self.proxy.start()
        self.database_url = f"postgres://chaos:{self.pg_password}@127.0.0.1:{self.pg_port}/chaos"
        self.environment = {
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0", "DATABASE_URL": self.database_url,
            "ENCRYPTION_KEY": secrets.token_hex(32), "BACKUP_DIR": self.backup_dir, "MIGRATIONS_DIR": os.path.join(ROOT, "migrations"),
            "HOST": "127.0.0.1", "LOG_LEVEL": "warning", "JOB_LOCK_SECONDS": "8", "SCHEDULER_INTERVAL_SECONDS": "2",
            "SHUTDOWN_GRACE_SECONDS": "3", "WRITE_LIMIT_PER_MINUTE": "100000", "LOGIN_LIMIT_PER_MINUTE": "100000",
            "LOGIN_LIMIT_PER_USERNAME_PER_MINUTE": "100000", "STARTUP_TIMEOUT_SECONDS": "120",
        }

    def dir(self, name):
        path = os.path.join(self.state, name)
        os.makedirs(path, exist_ok=True)
        return path

    def start_redis(self):
        services("start", "redis", self.dir("redis"), self.redis_port, "yes")

    def redis_pid(self):
        try:
            with open(os.path.join(self.dir("redis"), "redis.pid")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def pg_data(self):
        out = subprocess.run(["bash", "-c", f"source {SERVICES}; mm_pg_data_dir {self.dir('postgres')}"], capture_output=True, text=True)
        return out.stdout.strip()

    def pg_ctl(self, *arguments):
        data = self.pg_data()
        command = [f"{PG_BIN}/pg_ctl", "-D", data, *arguments]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True)

    def start_postgres(self):
        services("start", "postgres", self.dir("postgres"), self.pg_port, "chaos", "chaos", self.pg_password)

    def stop_services(self):
        for name in list(self.processes):
            self.stop_process(name, signal.SIGKILL)
        self.proxy.stop()
        for index in range(len(self.ssh_ports)):
            services("stop", "sshd", self.dir(f"sshd-{index}"), check=False)
        services("stop", "redis", self.dir("redis"), self.redis_port, check=False)
        services("stop", "postgres", self.dir("postgres"), check=False)
        if self.tmpfs:
            subprocess.run(["umount", "-l", self.backup_dir], check=False)

    # --- medicineman processes -------------------------------------------------------------
    def command(self, *arguments, stdin=None):
        return subprocess.run([self.binary, *arguments], env={**os.environ, **self.environment}, input=stdin,
                              capture_output=True, text=True, check=True).stdout

    def start_process(self, name, role, port):
        environment = {**os.environ, **self.environment, "PORT": str(port)}
        out = open(os.path.join(self.dir("logs"), f"{name}.log"), "a")
        self.processes[name] = {"process": subprocess.Popen([self.binary, role], env=environment, stdout=out, stderr=out,
                                                            stdin=subprocess.DEVNULL), "role": role, "port": port}
        return self.processes[name]

    def stop_process(self, name, how=signal.SIGTERM):
        entry = self.processes.get(name)
        if entry and entry["process"].poll() is None:
            entry["process"].send_signal(how)
            try:
                entry["process"].wait(30)
            except subprocess.TimeoutExpired:
                entry["process"].kill()

    def restart_process(self, name):
        entry = self.processes[name]
        self.start_process(name, entry["role"], entry["port"])

    def url(self, name):
        return f"http://127.0.0.1:{self.processes[name]['port']}"

    def wait_ready(self, name, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url(name) + "/ready", timeout=5) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        return False


class API:
    """Requests through whichever API process answers; every status is recorded for the checks."""

    def __init__(self, platform, token):
        self.platform = platform
        self.token = token
        self.statuses = []  # (time, process, status or "hang"/"refused")
        self.lock = threading.Lock()

    def call(self, method, path, body=None, process=None, timeout=10):
        for name in ([process] if process else ["serve", "api"]):
            request = urllib.request.Request(self.platform.url(name) + path, method=method,
                                             data=json.dumps(body).encode() if body is not None else None,
                                             headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    self.note(name, response.status)
                    return json.loads(response.read() or b"{}").get("data")
            except urllib.error.HTTPError as error:
                self.note(name, error.code)
                if error.code < 500:
                    raise
            except socket.timeout:
                self.note(name, "hang")
            except (urllib.error.URLError, ConnectionError, OSError) as error:
                self.note(name, "hang" if "timed out" in str(error) else "refused")
        return None

    def note(self, process, status):
        with self.lock:
            self.statuses.append((time.time(), process, status))


class Chaos:
    FAULTS = ["kill_worker", "kill_serve", "kill_redis", "redis_down", "pg_restart_fast", "pg_restart_immediate", "pg_down",
              "sshd_sessions_killed", "host_stall", "host_key_change", "disk_full", "record_without_job"]

    def __init__(self, platform, api, rng, short):
        self.platform = platform
        self.api = api
        self.rng = rng
        self.short = short
        self.counts = {fault: 0 for fault in self.FAULTS}
        self.dependency_down_windows = []
        self.server_ids = []
        self.requested = {"backups": [], "scans": [], "updates": []}

    def outage(self, long_range, short_range):
        low, high = short_range if self.short else long_range
        return self.rng.uniform(low, high)

    def inject(self, fault):
        platform = self.platform
        self.counts[fault] += 1
        log(f"fault: {fault}")
        if fault in ("kill_worker", "kill_serve"):
            name = "worker" if fault == "kill_worker" else "serve"
            platform.stop_process(name, signal.SIGKILL)
            time.sleep(self.rng.uniform(0.5, 3))
            platform.restart_process(name)
        elif fault == "kill_redis":
            pid = platform.redis_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
            time.sleep(1)
            platform.start_redis()
        elif fault == "redis_down":
            pid = platform.redis_pid()
            start = time.time()
            if pid:
                os.kill(pid, signal.SIGKILL)
            time.sleep(self.outage((30, 60), (6, 12)))
            platform.start_redis()
            self.dependency_down_windows.append((start, time.time()))
        elif fault in ("pg_restart_fast", "pg_restart_immediate"):
            mode = "fast" if fault.endswith("fast") else "immediate"
            platform.pg_ctl("-m", mode, "-w", "stop")
            platform.start_postgres()
        elif fault == "pg_down":
            start = time.time()
            platform.pg_ctl("-m", "fast", "-w", "stop")
            time.sleep(self.outage((30, 30), (6, 10)))
            platform.start_postgres()
            self.dependency_down_windows.append((start, time.time()))
        elif fault == "sshd_sessions_killed":
            subprocess.run(["pkill", "-KILL", "-f", "sshd: mmtest"], check=False)
        elif fault == "host_stall":
            platform.proxy.stall(True)
            time.sleep(self.outage((20, 40), (5, 10)))
            platform.proxy.stall(False)
        elif fault == "host_key_change":
            directory = platform.dir("sshd-0")
            key = os.path.join(directory, "ssh_host_ed25519_key")
            shutil.copy(key, key + ".orig")
            shutil.copy(key + ".pub", key + ".pub.orig")
            services("stop", "sshd", directory, check=False)
            os.remove(key)
            os.remove(key + ".pub")
            services("start", "sshd", directory, platform.ssh_ports[0], "mmtest", platform.ssh_password)
            time.sleep(self.outage((20, 40), (5, 10)))
            services("stop", "sshd", directory, check=False)
            shutil.move(key + ".orig", key)
            shutil.move(key + ".pub.orig", key + ".pub")
            services("start", "sshd", directory, platform.ssh_ports[0], "mmtest", platform.ssh_password)
        elif fault == "disk_full":
            if not platform.tmpfs:
                return
            filler = os.path.join(platform.backup_dir, ".chaos-filler")
            free = shutil.disk_usage(platform.backup_dir).free
            subprocess.run(["fallocate", "-l", str(max(0, free - 2 * 1024 * 1024)), filler], check=False)
            time.sleep(self.outage((20, 40), (5, 10)))
            os.remove(filler) if os.path.exists(filler) else None
        elif fault == "record_without_job":
            # What a crash between committing a record and enqueuing its job leaves behind.
            server = self.rng.choice(self.server_ids)
            record = str(uuid.uuid4())
            self.psql(f"INSERT INTO backups (id, server_id, kind, paths) VALUES ('{record}', '{server}', 'manual', ARRAY['/home/mmtest/chaos/small'])")
            self.requested["backups"].append(record)

    def psql(self, sql):
        """Rows as lists of fields (unit and record separators, so texts with line breaks stay whole)."""
        environment = {**os.environ, "PGPASSWORD": self.platform.pg_password}
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.platform.pg_port), "-U", "chaos", "-d", "chaos", "-qAt",
                              "-F", "\x1f", "-R", "\x1e", "-c", sql], env=environment, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr.strip()}")
        return [[field.strip("\n") for field in record.split("\x1f")] for record in out.stdout.split("\x1e") if record.strip()]

    def request_work(self):
        server = self.rng.choice(self.server_ids)
        kind = self.rng.choices(["backup-small", "backup-big", "scan", "update"], weights=[3, 2, 2, 1])[0]
        try:
            if kind.startswith("backup"):
                path = "/home/mmtest/chaos/small" if kind == "backup-small" else "/home/mmtest/chaos/big"
                data = self.api.call("POST", f"/api/servers/{server}/backup", {"paths": [path], "compression": "gzip"})
                bucket = "backups"
            elif kind == "scan":
                data = self.api.call("POST", f"/api/servers/{server}/scan", {"scanType": "quick"})
                bucket = "scans"
            else:
                data = self.api.call("POST", f"/api/servers/{server}/update", {"mode": "check"})
                bucket = "updates"
        except urllib.error.HTTPError as error:
            log(f"request refused: {error.code}")
            return
        if data and data.get("recordId"):
            self.requested[bucket].append(data["recordId"])


def prober(api, stop):
    """Asks both API processes every half second; the checks read what they answered."""
    while not stop.is_set():
        for name in ("serve", "api"):
            api.call("GET", "/api/jobs/stats/all", process=name, timeout=10)
        stop.wait(0.5)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check(platform, chaos, api, redis_prefix="bull"):
    results = []

    def verdict(name, ok, detail):
        results.append((name, ok, detail))
        log(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")

    tables = {"backups": "backups", "scans": "scans", "updates": "updates"}
    rows = {}
    for bucket, table in tables.items():
        extra = ", file_path, sha256" if table == "backups" else ", NULL, NULL"
        rows[bucket] = chaos.psql(f"SELECT id, status, coalesce(error, '') {extra} FROM {table}")
    requested = sum(len(ids) for ids in chaos.requested.values())
    unfinished = [row for bucket in rows.values() for row in bucket if row[1] in ("pending", "running")]
    failed_without_reason = [row for bucket in rows.values() for row in bucket if row[1] == "failed" and not row[2].strip()]
    counts = {}
    for bucket in rows.values():
        for row in bucket:
            counts[row[1]] = counts.get(row[1], 0) + 1
    verdict("every record ended", not unfinished, f"{requested} requested through the API and schedule extras; outcomes {counts}; unfinished {len(unfinished)}")
    verdict("every failure has a reason", not failed_without_reason, f"{len(failed_without_reason)} failed without a reason")
    missing = broken = 0
    for row in rows["backups"]:
        if row[1] != "completed":
            continue
        path = os.path.join(platform.backup_dir, row[3])
        if not os.path.exists(path):
            missing += 1
            log(f"  missing archive of backup {row[0]}: {path}")
        elif file_sha256(path) != row[4]:
            broken += 1
            history = chaos.psql(f"SELECT attempt, state, worker, started_at, finished_at, coalesce(error, '') FROM job_attempts "
                                 f"WHERE job_id = '{row[0]}' ORDER BY started_at")
            record = chaos.psql(f"SELECT started_at, completed_at, size_bytes, attempts FROM backups WHERE id = '{row[0]}'")
            log(f"  backup {row[0]}: file {os.path.getsize(path)} bytes (mtime {time.ctime(os.path.getmtime(path))}), record {record}; attempts {history}")
    verdict("completed archives exist and match their SHA-256", missing == 0 and broken == 0,
            f"{len([r for r in rows['backups'] if r[1] == 'completed'])} completed backups, {missing} missing, {broken} mismatched")
    partials, orphans_old, orphans_young = [], 0, 0
    known = {row[0] for row in rows["backups"]}
    for directory, _, files in os.walk(platform.backup_dir):
        for name in files:
            if name.endswith(".partial"):
                partials.append(name)
            elif name[:36] and len(name) > 36 and name[:36] not in known and not name.startswith(".chaos"):
                age = time.time() - os.path.getmtime(os.path.join(directory, name))
                if age > 3600:
                    orphans_old += 1
                else:
                    orphans_young += 1
    verdict("no partial files, no orphan archives past the grace period", not partials and orphans_old == 0,
            f"{len(partials)} partial, {orphans_old} orphans older than 1 h ({orphans_young} younger, the janitor's after an hour)")
    # Redis against the records.
    redis = ["redis-cli", "-p", str(platform.redis_port)]
    job_ids = set()
    for queue in ("backup-queue", "scan-queue", "update-queue"):
        base = f"{redis_prefix}:{queue}:"
        for key, kind in (("wait", "list"), ("active", "list"), ("paused", "list"), ("delayed", "zset"), ("prioritized", "zset"),
                          ("completed", "zset"), ("failed", "zset")):
            command = ["LRANGE", base + key, "0", "-1"] if kind == "list" else ["ZRANGE", base + key, "0", "-1"]
            out = subprocess.run(redis + command, capture_output=True, text=True).stdout
            job_ids.update(line.strip() for line in out.splitlines() if line.strip())
    all_records = {row[0] for bucket in rows.values() for row in bucket}
    restores = set()
    jobs_without_record = [job for job in job_ids if len(job) == 36 and job not in all_records and job not in restores]
    records_without_job = [row[0] for bucket in rows.values() for row in bucket if row[1] in ("pending", "running") and row[0] not in job_ids]
    verdict("no job without a record, no unfinished record without a job", not jobs_without_record and not records_without_job,
            f"{len(job_ids)} jobs in Redis; {len(jobs_without_record)} without a record, {len(records_without_job)} records without a job")
    # Fencing: one completed attempt per completed record at most, one archive per backup.
    out = chaos.psql("SELECT job_id, count(*) FILTER (WHERE state = 'completed'), count(*) FROM job_attempts GROUP BY job_id")
    doubled = [row for row in out if int(row[1]) > 1]
    attempts = sum(int(row[2]) for row in out)
    archives = {}
    for directory, _, files in os.walk(platform.backup_dir):
        for name in files:
            # An archive's manifest (<archive>.manifest.gz) sits beside it: not a second archive.
            if not name.startswith(".") and len(name) > 36 and not name.endswith(".manifest.gz"):
                archives[name[:36]] = archives.get(name[:36], 0) + 1
    verdict("fencing held: at most one completed attempt per job and one archive per backup",
            not doubled and all(count == 1 for count in archives.values()),
            f"{attempts} attempts recorded; {len(doubled)} jobs completed twice; {sum(1 for c in archives.values() if c > 1)} backups with two archives")
    # The API during the outages: 200 or 503, never a 500, never a hang.
    bad = [entry for entry in api.statuses if entry[2] == "hang" or (isinstance(entry[2], int) and entry[2] >= 500 and entry[2] != 503)]
    during = [entry for entry in api.statuses if any(start <= entry[0] <= end for start, end in chaos.dependency_down_windows)]
    answered_503 = sum(1 for entry in during if entry[2] == 503)
    summary = {}
    for entry in api.statuses:
        summary[str(entry[2])] = summary.get(str(entry[2]), 0) + 1
    verdict("the API answered 503 while a dependency was down, never 500 or a hang", not bad and (answered_503 > 0 or not chaos.dependency_down_windows),
            f"answers {summary}; {answered_503} × 503 inside the outage windows; {len(bad)} 500s or hangs")
    # Every process recovered without a restart.
    not_ready = [name for name in platform.processes if not platform.wait_ready(name, timeout=60)]
    restarted = [name for name, pid in platform.pids_before_faults.items()
                 if name not in ("serve", "worker") and platform.processes[name]["process"].pid != pid]
    verdict("every process is ready again without a restart", not not_ready and not restarted,
            f"not ready: {not_ready or 'none'}; restarted though never killed: {restarted or 'none'}")
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--duration", type=int, default=None, help="seconds of faults (short form: 150)")
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--state", default=os.path.join(ROOT, ".local", "chaos"))
    arguments = parser.parse_args()
    seed = arguments.seed if arguments.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    duration = arguments.duration or (150 if arguments.short else 1800)
    rng = random.Random(seed)
    log(f"seed {seed}, {duration} s of faults ({'short' if arguments.short else 'long'} form); rerun with --seed {seed}")
    shutil.rmtree(arguments.state, ignore_errors=True)
    os.makedirs(arguments.state, exist_ok=True)
    platform = Platform(arguments.binary, arguments.state, arguments.short)
    stop = threading.Event()
    try:
        platform.start_services()
        platform.command("migrate")
        platform.command("user", "create", "--username", "chaos", "--password", "chaos-password-1", "--role", "admin")
        token = platform.command("token", "create", "--username", "chaos", "--name", "chaos").strip()
        for name, role in (("serve", "serve"), ("api", "api"), ("worker", "worker")):
            platform.start_process(name, role, free_port())
        for name in platform.processes:
            if not platform.wait_ready(name):
                raise RuntimeError(f"{name} did not become ready; see {platform.dir('logs')}")
        platform.pids_before_faults = {name: entry["process"].pid for name, entry in platform.processes.items()}
        api = API(platform, token)
        chaos = Chaos(platform, api, rng, arguments.short)
        # Two hosts with data to back up: one direct, one behind the stalling proxy.
        setup = subprocess.run(["bash", "-c", "runuser -u mmtest -- bash -c 'mkdir -p ~/chaos/small ~/chaos/big && "
                                "head -c 1048576 /dev/urandom > ~/chaos/small/data && head -c 24000000 /dev/urandom > ~/chaos/big/data'"],
                               capture_output=True, text=True)
        if setup.returncode != 0:
            raise RuntimeError(f"cannot prepare the hosts' data: {setup.stderr}")
        for index, port in enumerate([platform.ssh_ports[0], platform.proxy.port]):
            # A password goes only to a pinned host key (the proxy forwards to sshd-1).
            fingerprint = services("fingerprint", "sshd", platform.dir(f"sshd-{index}")).stdout.strip()
            server = api.call("POST", "/api/servers", {"name": f"chaos-{index}", "host": "127.0.0.1", "port": port, "username": "mmtest",
                                                       "authType": "password", "credential": platform.ssh_password,
                                                       "hostKeyFingerprint": fingerprint})
            chaos.server_ids.append(server["id"])
        api.call("POST", "/api/schedules", {"serverId": chaos.server_ids[0], "cron": "* * * * *", "paths": ["/home/mmtest/chaos/small"],
                                             "retention": {"keepLast": 3}})
        probe = threading.Thread(target=prober, args=(api, stop), daemon=True)
        probe.start()
        deadline = time.time() + duration
        next_fault = time.time() + rng.uniform(3, 8)
        # Every kind of fault in turn, in an order from the seed, so even the short form meets each.
        order = []
        while time.time() < deadline:
            chaos.request_work()
            if time.time() >= next_fault:
                if not order:
                    order = rng.sample(Chaos.FAULTS, len(Chaos.FAULTS))
                chaos.inject(order.pop())
                next_fault = time.time() + (rng.uniform(3, 6) if arguments.short else rng.uniform(10, 40))
            time.sleep(rng.uniform(0.5, 2))
        log("faults stopped; waiting for every record to end")
        # The schedule stops, so the count of records stops moving.
        for schedule in (api.call("GET", "/api/schedules") or {}).get("items", []):
            api.call("PATCH", f"/api/schedules/{schedule['id']}", {"enabled": False})
        recovery = time.time() + (240 if arguments.short else 900)
        while time.time() < recovery:
            try:
                out = chaos.psql("SELECT (SELECT count(*) FROM backups WHERE status IN ('pending','running')) + "
                                 "(SELECT count(*) FROM scans WHERE status IN ('pending','running')) + "
                                 "(SELECT count(*) FROM updates WHERE status IN ('pending','running'))")
            except RuntimeError as error:
                log(f"waiting for PostgreSQL: {error}")
                out = []
            if out and out[0][0] == "0":
                break
            time.sleep(2)
        stop.set()
        results = check(platform, chaos, api)
        print()
        print("fault                    injected")
        for fault, count in chaos.counts.items():
            print(f"{fault:<24} {count}")
        print()
        failed = [name for name, ok, _ in results if not ok]
        print(f"chaos: {len(results) - len(failed)} passed, {len(failed)} failed")
        log(f"seed {seed}; logs in {platform.dir('logs')}")
        return 1 if failed else 0
    finally:
        stop.set()
        platform.stop_services()


if __name__ == "__main__":
    sys.exit(main())
