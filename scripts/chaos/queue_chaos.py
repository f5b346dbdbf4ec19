"""Queue-level chaos with medicineman-bench: N no-op jobs are added, then processed by several
worker processes that are SIGKILLed every few seconds while Redis (AOF everysec) is SIGKILLed and
restarted twice. At the end: completed = added (none lost), and every extra execution (a job run
again after its worker died) is counted and compared with its bound. With --soak, a long run with
removeOnComplete instead, sampling worker RSS and Redis memory to show both stay flat.

    python3 scripts/chaos/queue_chaos.py --bench .build/release/medicineman-bench --jobs 200000 --seed 7
    python3 scripts/chaos/queue_chaos.py --bench … --soak --jobs 1000000
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVICES = os.path.join(ROOT, "scripts", "services.sh")


def log(message):
    print(f"[queue-chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def redis(port, *arguments):
    out = subprocess.run(["redis-cli", "-p", str(port), *map(str, arguments)], capture_output=True, text=True)
    return out.stdout.strip()


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--soak", action="store_true")
    parser.add_argument("--timeout", type=int, default=1800)
    arguments = parser.parse_args()
    seed = arguments.seed if arguments.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    rng = random.Random(seed)
    state = tempfile.mkdtemp(prefix="mm-queue-chaos-")
    port = 6500 + rng.randrange(0, 400)
    queue = "chaos-queue"
    url = f"redis://127.0.0.1:{port}/0"
    records = os.path.join(state, "records")
    os.makedirs(records)
    log(f"seed {seed}; {arguments.jobs} jobs, {arguments.workers} workers × {arguments.concurrency}; state {state}")
    subprocess.run(["bash", SERVICES, "start", "redis", os.path.join(state, "redis"), str(port), "yes"], check=True, capture_output=True)
    workers = []
    kills = redis_restarts = 0
    try:
        opts = '{"removeOnComplete": true}' if arguments.soak else "{}"
        started = time.time()
        subprocess.run([arguments.bench, "add", "--redis", url, "--queue", queue, "--count", str(arguments.jobs), "--opts", opts],
                       check=True, capture_output=True)
        time.sleep(2)  # past one AOF fsync: the adds are on disk before the faults begin
        log(f"added {arguments.jobs} in {time.time() - started:.1f} s")

        def start_worker():
            behavior = "echo" if arguments.soak else f"record:{records}"
            return subprocess.Popen([arguments.bench, "worker", "--redis", url, "--queue", queue, "--concurrency", str(arguments.concurrency),
                                     "--behavior", behavior, "--lock-duration", "3000", "--stalled-interval", "1500", "--max-stalled-count", "1000"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        workers = [start_worker() for _ in range(arguments.workers)]
        started = time.time()  # the faults' clock starts with the processing
        restarts_due = [] if arguments.soak else sorted(rng.uniform(10, 40) for _ in range(2))
        next_kill = time.time() + rng.uniform(2, 5)
        samples = []
        deadline = time.time() + arguments.timeout
        base = f"bull:{queue}:"
        while time.time() < deadline:
            waiting = sum(int(redis(port, command, base + key) or 0) for command, key in
                          (("LLEN", "wait"), ("LLEN", "active"), ("ZCARD", "delayed"), ("ZCARD", "prioritized")))
            if waiting == 0:
                break
            now = time.time()
            if not arguments.soak and now >= next_kill:
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = start_worker()
                kills += 1
                next_kill = now + rng.uniform(2, 5)
            if restarts_due and now - started >= restarts_due[0]:
                restarts_due.pop(0)
                pid = int(open(os.path.join(state, "redis", "redis.pid")).read().strip())
                os.kill(pid, signal.SIGKILL)
                time.sleep(1)
                subprocess.run(["bash", SERVICES, "start", "redis", os.path.join(state, "redis"), str(port), "yes"], check=True, capture_output=True)
                redis_restarts += 1
                log(f"redis SIGKILLed and restarted from its AOF ({redis_restarts})")
            if arguments.soak:
                memory = redis(port, "INFO", "memory")
                used = next((int(line.split(":")[1]) for line in memory.splitlines() if line.startswith("used_memory:")), 0)
                samples.append((round(now - started), sum(rss_kib(worker.pid) for worker in workers), used // 1024))
            time.sleep(1)
        elapsed = time.time() - started
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        completed = int(redis(port, "ZCARD", base + "completed") or 0)
        failed = int(redis(port, "ZCARD", base + "failed") or 0)
        if arguments.soak:
            print(f"soak: {arguments.jobs} jobs in {elapsed:.0f} s ({arguments.jobs / elapsed:.0f}/s); completed kept: {completed}, failed {failed}")
            print("seconds  workers RSS (KiB)  Redis used memory (KiB)")
            step = max(1, len(samples) // 20)
            for sample in samples[::step] + samples[-1:]:
                print(f"{sample[0]:>7}  {sample[1]:>17}  {sample[2]:>23}")
            return 0 if completed == 0 and failed == 0 else 1
        executions = 0
        seen = set()
        for name in os.listdir(records):
            with open(os.path.join(records, name)) as handle:
                for line in handle:
                    executions += 1
                    seen.add(line.strip())
        duplicates = executions - len(seen)
        # A killed worker re-runs at most the jobs it had in hand; a Redis SIGKILL forgets up to a
        # second of writes (AOF everysec), whose completions run again: allow two seconds' worth.
        rate = completed / max(elapsed, 1)
        bound = kills * arguments.concurrency + redis_restarts * int(2 * rate + arguments.concurrency * arguments.workers)
        lost = arguments.jobs - completed - failed
        print(f"added {arguments.jobs}, completed {completed}, failed {failed}, lost {lost}")
        print(f"executions {executions} of {len(seen)} distinct jobs: {duplicates} duplicates "
              f"(bound: {kills} worker kills × {arguments.concurrency} in hand + {redis_restarts} Redis restarts × 2 s of completions = {bound})")
        print(f"{elapsed:.0f} s in all; seed {seed}")
        ok = completed == arguments.jobs and failed == 0 and len(seen) == arguments.jobs and duplicates <= bound
        print(f"queue-chaos: {1 if ok else 0} passed, {0 if ok else 1} failed")
        return 0 if ok else 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        subprocess.run(["bash", SERVICES, "stop", "redis", os.path.join(state, "redis"), str(port)], capture_output=True)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
