"""Shared by the benchmarks: run one measured step in a fresh subprocess, so its peak memory is its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable


def child_report(work: Callable[[], int]) -> None:
    """Run ``work`` (which returns a count of rows), then print seconds, count and peak memory as JSON."""
    started = time.perf_counter()
    rows = work()
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_kib / 1024}))


def in_subprocess(script: str, *arguments: str) -> dict:
    """Run ``script --child ARGUMENTS`` and return the JSON figures it printed, one object per line, merged."""
    result = subprocess.run([sys.executable, script, "--child", *arguments], check=True, capture_output=True, text=True)
    figures: dict = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            figures.update(json.loads(line))
    return figures
