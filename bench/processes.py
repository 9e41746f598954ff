"""What the benchmarks read of their processes from Linux's /proc: who is whose child, and the
CPU each has used (user + system), so a figure can say where the cores went."""
from __future__ import annotations

import os
from pathlib import Path


def stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields from the third (state) on: [1] is the parent, [11] and [12]
    the user and system clock ticks. None once the process has ended."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # the name in parentheses may hold spaces


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    return parents


def children(parent: int) -> list[int]:
    """The processes `parent` started (a gunicorn arbiter's workers)."""
    return [pid for pid, of in _parents().items() if of == parent]


def family(root: int) -> list[int]:
    """`root` and all its descendants."""
    parents = _parents()
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(pids: list[int]) -> float:
    """The CPU seconds the processes have used so far, together (an ended one counts 0)."""
    ticks = 0
    for pid in pids:
        if fields := stat(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
