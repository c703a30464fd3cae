#!/usr/bin/python3
# fatal-exit.py - the listener many supervisord images carry: when a program
# goes FATAL, SIGTERM the supervisor (its pid from the pidfile given as the
# argument), so the container exits instead of running on without it.
import os
import signal
import sys

from supervisor import childutils

while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    sys.stderr.write("fatal-exit: %s; stopping\n" % payload)
    sys.stderr.flush()
    with open(sys.argv[1]) as f:
        os.kill(int(f.read().strip()), signal.SIGTERM)
    childutils.listener.ok(sys.stdout)
