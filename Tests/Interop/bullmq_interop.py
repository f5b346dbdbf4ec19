"""Drives the Python `bullmq` package (3.4.4) for the interoperability tests.

Usage: python bullmq_interop.py REDIS_URL PREFIX QUEUE COMMAND [ARG...]
  (REDIS_URL may be redis+cluster://host:port[,…]: then a redis-py RedisCluster client)
  add SPEC_JSON        SPEC: [{"name":..,"data":..,"opts":..}]; prints the ids as JSON
  jobs IDS_JSON        prints {id: {state, data, returnvalue, attemptsMade, attemptsStarted,
                       failedReason, progress, stacktrace, processedOn, finishedOn, opts}}
  hash KEY_SUFFIX      prints the hash <prefix>:<queue>:<suffix> as the client reads it
  counts               prints getJobCounts()
  pause | resume       pauses or resumes the queue
  drain DELAYED        drain(DELAYED == "1")
  remove ID [KIDS]     Queue.remove(ID, {"removeChildren": KIDS != "0"}); prints the script's code
  retry ID STATE       Job.retry(STATE)
  change-priority ID PRIORITY LIFO    Job.changePriority
  global-rate-limit MAX DURATION      setGlobalRateLimit
  flow SPEC_JSON       FlowProducer.add(SPEC) (queue names as given); prints {id, children}
  schedule ID REPEAT_JSON NAME   upsertJobScheduler; prints the pending iteration's id
  scheduler ID         prints getJobScheduler(ID)
  work BEHAVIOR N SECS [WORKER_OPTS_JSON]
                       runs a Python worker until N jobs finished (or SECS passed); BEHAVIOR:
                       echo (returns {"by":"python","echo":data}), fail, or slow:MS (echo after MS)
Scripts the client ships but cannot call through its API run through its own connection and
script loader (bullmq.redis_connection.loadScript), from the installed package:
  change-delay ID DELAY          changeDelay-4.lua
  metrics TYPE                   getMetrics-2.lua: prints {count, prevTS, prevCount, data, points}
  activate TOKEN NAME LOCK_MS    moveToActive-11.lua with a worker name; prints the job id or null
Every command prints one JSON document on stdout.
"""
import asyncio
import json
import sys
import time
from urllib.parse import urlparse

import msgpack
from bullmq import FlowProducer, Job, Queue, Worker
from bullmq.redis_connection import loadScript


def connection(url):
    if url.startswith("redis+cluster://"):
        # Our cluster URL: any node will do for redis-py to learn the others.
        from redis.asyncio.cluster import RedisCluster
        parsed = urlparse("redis://" + url[len("redis+cluster://"):].split(",")[0])
        return RedisCluster(host=parsed.hostname, port=parsed.port, password=parsed.password, decode_responses=True)
    parsed = urlparse(url)
    db = int(parsed.path.strip("/") or 0)
    return {"host": parsed.hostname, "port": parsed.port or 6379, "db": db, "socket_timeout": None}


def shipped_script(queue, filename):
    """A Lua script of the installed bullmq package, on the queue's own connection."""
    return queue.client.register_script(loadScript(filename))


def job_view(job, state):
    return {
        "state": state, "name": job.name, "data": job.data, "opts": job.opts,
        "returnvalue": job.returnvalue, "attemptsMade": job.attemptsMade,
        "attemptsStarted": job.attemptsStarted, "failedReason": job.failedReason,
        "progress": job.progress, "stacktrace": job.stacktrace,
        "processedOn": job.processedOn, "finishedOn": job.finishedOn,
    }


def flow_view(tree):
    return {"id": tree["job"].id, "children": [flow_view(child) for child in tree.get("children") or []]}


async def work(name, opts, behavior, count, seconds, worker_opts):
    finished = asyncio.Event()
    done = {"n": 0}

    async def process(job, token):
        if behavior == "fail":
            raise Exception("python says no")
        if behavior.startswith("slow:"):
            await asyncio.sleep(int(behavior[5:]) / 1000)
        return {"by": "python", "echo": job.data}

    def on_finished(*_):
        done["n"] += 1
        if done["n"] >= count:
            finished.set()

    worker = Worker(name, process, {**opts, "stalledInterval": 500, "drainDelay": 1, **worker_opts})
    worker.on("completed", on_finished)
    worker.on("failed", on_finished)
    try:
        await asyncio.wait_for(finished.wait(), seconds)
    except asyncio.TimeoutError:
        pass
    await worker.close()
    return {"finished": done["n"]}


async def run(queue, name, opts, command, rest):
    keys = queue.keys
    if command == "add":
        return [(await queue.add(spec["name"], spec.get("data", {}), spec.get("opts", {}))).id
                for spec in json.loads(rest[0])]
    if command == "jobs":
        out = {}
        for job_id in json.loads(rest[0]):
            job = await Job.fromId(queue, job_id)
            out[job_id] = None if job is None else job_view(job, await job.getState())
        return out
    if command == "hash":
        return await queue.client.hgetall(keys[""] + rest[0])
    if command == "counts":
        return await queue.getJobCounts()
    if command == "pause":
        await queue.pause()
        return True
    if command == "resume":
        await queue.resume()
        return True
    if command == "drain":
        await queue.drain(rest[0] == "1")
        return True
    if command == "remove":
        kids = len(rest) < 2 or rest[1] != "0"
        return await queue.remove(rest[0], {"removeChildren": kids})
    if command == "retry":
        await (await Job.fromId(queue, rest[0])).retry(rest[1])
        return True
    if command == "change-priority":
        await (await Job.fromId(queue, rest[0])).changePriority({"priority": int(rest[1]), "lifo": rest[2] == "1"})
        return True
    if command == "global-rate-limit":
        await queue.setGlobalRateLimit(int(rest[0]), int(rest[1]))
        return True
    if command == "flow":
        producer = FlowProducer({"connection": opts["connection"], "prefix": opts["prefix"]})
        try:
            return flow_view(await producer.add(json.loads(rest[0])))
        finally:
            await producer.close()
    if command == "schedule":
        job = await queue.upsertJobScheduler(rest[0], json.loads(rest[1]), rest[2], {"from": "python"})
        return job.id if job else None
    if command == "scheduler":
        return await queue.getJobScheduler(rest[0])
    if command == "work":
        worker_opts = json.loads(rest[3]) if len(rest) > 3 else {}
        return await work(name, opts, rest[0], int(rest[1]), float(rest[2]), worker_opts)
    if command == "change-delay":
        script = shipped_script(queue, "changeDelay-4.lua")
        return await script(keys=[keys["delayed"], keys["meta"], keys["marker"], keys["events"]],
                            args=[int(rest[1]), round(time.time() * 1000), rest[0], keys[""] + rest[0]])
    if command == "metrics":
        script = shipped_script(queue, "getMetrics-2.lua")
        metrics_key = keys[""] + "metrics:" + rest[0]
        meta, data, points = await script(keys=[metrics_key, metrics_key + ":data"], args=[0, -1])
        return {"count": meta[0], "prevTS": meta[1], "prevCount": meta[2], "data": data, "points": points}
    if command == "activate":
        script = shipped_script(queue, "moveToActive-11.lua")
        packed = msgpack.packb({"token": rest[0], "lockDuration": int(rest[2]), "limiter": None, "name": rest[1]},
                               use_bin_type=True)
        script_keys = [keys[k] for k in ["wait", "active", "prioritized", "events", "stalled", "limiter",
                                         "delayed", "paused", "meta", "pc", "marker"]]
        result = await script(keys=script_keys, args=[keys[""], round(time.time() * 1000), packed])
        return result[1] if result and result[1] else None
    raise SystemExit(f"unknown command {command}")


async def main():
    url, prefix, name, command = sys.argv[1:5]
    opts = {"connection": connection(url), "prefix": prefix}
    queue = Queue(name, opts)
    try:
        print(json.dumps(await run(queue, name, opts, command, sys.argv[5:]), default=str))
    finally:
        await queue.close()


asyncio.run(main())
