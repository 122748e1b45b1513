#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would.

usage: on-a-terminal.py [--ctrl-c-after REGEX] [--timeout S] -- COMMAND [ARGS...]

The command's stdin, stdout and stderr are the pty's slave side. Everything it
writes is copied to our stdout. With --ctrl-c-after, once the output matches
REGEX a Ctrl-C byte (0x03) is typed, so the terminal's line discipline sends
SIGINT to the command's process group, exactly as a keyboard would. Exits with
the command's exit status, or 128 + N when a signal N killed it; 124 on time-out.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctrl-c-after")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    pattern = re.compile(args.ctrl_c_after.encode()) if args.ctrl_c_after else None
    seen = b""
    deadline = time.monotonic() + args.timeout
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.exit(124)
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the slave side is closed, the command is gone
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        seen += data
        if pattern and pattern.search(seen):
            os.write(master, b"\x03")
            pattern = None
    _, status = os.waitpid(pid, 0)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
