"""Run a command and record its wall and CPU time: ``python tools/timed.py NAME CMD...``.

The CPU time is user + system of the command and everything it waited for. With
``STAGE_TIMES`` set to a file, one line ``NAME<TAB>wall<TAB>cpu`` is appended to it, which
``.ci/run`` prints as a table at the end; the command's exit status is passed on.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: timed.py NAME COMMAND [ARG ...]", file=sys.stderr)
        return 2
    name, command = argv[0], argv[1:]
    start = time.monotonic()
    status = subprocess.call(command)
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"== {name}: {wall:.0f} s wall, {cpu:.0f} s CPU (user + system), exit {status}")
    log = os.environ.get("STAGE_TIMES")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{name}\t{wall:.1f}\t{cpu:.1f}\t{status}\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
