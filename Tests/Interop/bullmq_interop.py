"""Drives the Python `bullmq` package (3.4.4) for the interoperability tests.

Usage: python bullmq_interop.py REDIS_URL PREFIX QUEUE COMMAND [ARG]
  add SPEC_JSON        SPEC: [{"name":..,"data":..,"opts":..}]; prints the ids as JSON
  jobs IDS_JSON        prints {id: {state, data, returnvalue, attemptsMade, attemptsStarted,
                       failedReason, progress, stacktrace, processedOn, finishedOn}}
  counts               prints getJobCounts()
  pause | resume       pauses or resumes the queue
  schedule ID REPEAT_JSON NAME   upsertJobScheduler; prints the scheduler record
  scheduler ID         prints getJobScheduler(ID)
  work BEHAVIOR N SECS runs a Python worker until N jobs finished (or SECS passed); BEHAVIOR:
                       echo (returns {"by":"python","echo":data}) or fail
Every command prints one JSON document on stdout.
"""
import asyncio
import json
import sys
from urllib.parse import urlparse

from bullmq import Job, Queue, Worker


def connection(url):
    parsed = urlparse(url)
    db = int(parsed.path.strip("/") or 0)
    return {"host": parsed.hostname, "port": parsed.port or 6379, "db": db, "socket_timeout": None}


async def main():
    url, prefix, name, command = sys.argv[1:5]
    rest = sys.argv[5:]
    opts = {"connection": connection(url), "prefix": prefix}
    queue = Queue(name, opts)
    try:
        if command == "add":
            ids = []
            for spec in json.loads(rest[0]):
                job = await queue.add(spec["name"], spec.get("data", {}), spec.get("opts", {}))
                ids.append(job.id)
            print(json.dumps(ids))
        elif command == "jobs":
            out = {}
            for job_id in json.loads(rest[0]):
                job = await Job.fromId(queue, job_id)
                if job is None:
                    out[job_id] = None
                    continue
                out[job_id] = {
                    "state": await job.getState(), "name": job.name, "data": job.data,
                    "returnvalue": job.returnvalue, "attemptsMade": job.attemptsMade,
                    "attemptsStarted": job.attemptsStarted, "failedReason": job.failedReason,
                    "progress": job.progress, "stacktrace": job.stacktrace,
                    "processedOn": job.processedOn, "finishedOn": job.finishedOn,
                }
            print(json.dumps(out))
        elif command == "counts":
            print(json.dumps(await queue.getJobCounts()))
        elif command == "pause":
            await queue.pause()
            print(json.dumps(True))
        elif command == "resume":
            await queue.resume()
            print(json.dumps(True))
        elif command == "schedule":
            job = await queue.upsertJobScheduler(rest[0], json.loads(rest[1]), rest[2], {"from": "python"})
            print(json.dumps(job.id if job else None))
        elif command == "scheduler":
            print(json.dumps(await queue.getJobScheduler(rest[0]), default=str))
        elif command == "work":
            behavior, count, seconds = rest[0], int(rest[1]), float(rest[2])
            finished = asyncio.Event()
            done = {"n": 0}

            async def process(job, token):
                if behavior == "fail":
                    raise Exception("python says no")
                return {"by": "python", "echo": job.data}

            def on_finished(*_):
                done["n"] += 1
                if done["n"] >= count:
                    finished.set()

            worker = Worker(name, process, {**opts, "stalledInterval": 500, "drainDelay": 1})
            worker.on("completed", on_finished)
            worker.on("failed", on_finished)
            try:
                await asyncio.wait_for(finished.wait(), seconds)
            except asyncio.TimeoutError:
                pass
            await worker.close()
            print(json.dumps({"finished": done["n"]}))
        else:
            raise SystemExit(f"unknown command {command}")
    finally:
        await queue.close()


asyncio.run(main())
