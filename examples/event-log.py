#!/usr/bin/python3
# event-log.py - writes every event it gets to its stderr (captured by tend).
import sys

from supervisor import childutils

while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    sys.stderr.write("%s %s\n" % (headers["eventname"], payload.replace("\n", " ")))
    sys.stderr.flush()
    childutils.listener.ok(sys.stdout)
