"""Runs a medicineman client command in a pseudo-terminal, as a person at a terminal would, and
prints a JSON report: exit status, the frames the live progress line drew (split on carriage
returns) and the final line. Usage: follow_in_pty.py COMMAND [ARGS...]"""
import json
import os
import pty
import select
import sys
import time


def main():
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["COLUMNS"] = "100"
        os.execv(sys.argv[1], sys.argv[1:])
    output = b""
    deadline = time.time() + 300
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace")
    frames = [frame.replace("\x1b[K", "").strip() for frame in text.replace("\r\n", "\n").split("\r")]
    frames = [frame for frame in frames if frame]
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\x1b[K", "").split("\n") if line.strip()]
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "frames": frames, "final": lines[-1] if lines else ""}))


main()
