"""Run a command and print its own peak RSS (KiB) as the last stderr line `RSS_KB=<n>`.

A trampoline: a child forked from a large process inherits that process's RSS high-water
mark on Linux, so compare.py (which holds big arrays) starts every measured command through
this small process instead.
"""
import os, sys

pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
sys.stderr.write(f"\nRSS_KB={ru.ru_maxrss}\n")
sys.exit(os.waitstatus_to_exitcode(status))
