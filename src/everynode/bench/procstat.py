"""CPU seconds and memory of a process, read from ``/proc`` (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class ProcSample:
    cpu_seconds: float  # user + system, since the process started
    rss_bytes: int  # resident now
    peak_rss_bytes: int  # the most it was ever resident (VmHWM)


def sample(pid: int) -> ProcSample | None:
    """The process's CPU and memory now; None when it is gone (or there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        with open(f"/proc/{pid}/status") as status:
            memory = {
                key: int(value.split()[0]) * 1024
                for key, _, value in (line.partition(":") for line in status)
                if key in ("VmRSS", "VmHWM")
            }
    except (OSError, ValueError, IndexError):
        return None
    # after the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    return ProcSample(cpu, memory.get("VmRSS", 0), memory.get("VmHWM", 0))
