"""The reference for `medicineman-bench throughput`: the Python bullmq 3.4.4 client doing the
same work (addBulk in chunks of 1000, then one Worker processing no-op jobs).

Usage: bench_bullmq.py REDIS_URL JOBS CONCURRENCY    (last line: JSON like the Swift bench)
"""
import asyncio
import json
import sys
import time
import uuid
from urllib.parse import urlparse

from bullmq import Queue, Worker


async def main():
    url, jobs, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    parsed = urlparse(url)
    connection = {"host": parsed.hostname, "port": parsed.port or 6379, "db": int(parsed.path.strip("/") or 0),
                  "socket_timeout": None}
    name = "pybench-" + uuid.uuid4().hex[:8]
    queue = Queue(name, {"connection": connection})
    start = time.monotonic()
    for offset in range(0, jobs, 1000):
        await queue.addBulk([{"name": "noop", "data": {"i": offset + i}} for i in range(min(1000, jobs - offset))])
    add_seconds = time.monotonic() - start

    done = asyncio.Event()

    async def process(job, token):
        return None

    worker = Worker(name, process, {"connection": connection, "concurrency": concurrency})
    start = time.monotonic()

    async def watch():
        while await queue.getJobCountByTypes("completed") < jobs:
            await asyncio.sleep(0.05)
        done.set()

    watcher = asyncio.create_task(watch())
    await done.wait()
    process_seconds = time.monotonic() - start
    await watcher
    await worker.close()
    await queue.obliterate(force=True)
    await queue.close()
    print(json.dumps({"jobs": jobs, "add_per_sec": round(jobs / add_seconds), "process_per_sec": round(jobs / process_seconds)}))


asyncio.run(main())
