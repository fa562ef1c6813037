"""Shared by the benchmarks: run one measured step in a fresh subprocess, so its peak memory is its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def child_report(work: Callable[[], int]) -> None:
    """Run ``work`` (which returns a count of rows), then print seconds, count and peak memory as JSON."""
    started = time.perf_counter()
    rows = work()
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_kib / 1024}))


def child_step(child: Sequence[str] | None, steps: dict[str, Callable[[Path, Path], int]]) -> bool:
    """In a child process (``--child STEP A B``), run and report that step and return True; else False."""
    if not child:
        return False
    which, first, second = child
    child_report(lambda: steps[which](Path(first), Path(second)))
    return True


def in_subprocess(script: str, *arguments: str) -> dict:
    """Run ``script --child ARGUMENTS`` and return the JSON figures it printed, one object per line, merged."""
    result = subprocess.run([sys.executable, script, "--child", *arguments], check=True, capture_output=True, text=True)
    figures: dict = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            figures.update(json.loads(line))
    return figures


def print_results(heading: str, results: list[tuple[str, dict]]) -> None:
    """Rows, seconds, rows/s, peak memory and speed against the first result (the baseline), as a table."""
    base_rate = results[0][1]["rows"] / results[0][1]["seconds"]
    print(f"{heading:44} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'vs baseline':>11}")
    for label, figures in results:
        rate = figures["rows"] / figures["seconds"]
        print(
            f"{label:44} {figures['rows']:>10,} {figures['seconds']:>8.1f} {rate:>9,.0f} "
            f"{figures['peak_mb']:>8.0f} {rate / base_rate:>10.2f}x"
        )
