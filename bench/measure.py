"""Shared by the benchmarks: run one measured step in a fresh subprocess, so its peak memory is its own."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def child_report(work: Callable[[], int]) -> None:
    """Run ``work`` (which returns a count of rows), then print seconds, count and peak memory as JSON."""
    started = time.perf_counter()
    rows = work()
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": own_peak_mb()}))


def own_peak_mb() -> float:
    """This process's peak memory (resident), in MB.

    Linux's ``VmHWM``: since this program started. ``ru_maxrss`` would also count the parent's
    memory at the moment it started this process (the copy made before ``exec``), so a child of a
    big benchmark would seem at least as big as it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def whole_process(command: Sequence[str], *, cwd: Path | str | None = None, env: dict | None = None) -> dict:
    """Run ``command`` as a new process, as a person would: seconds from its start to its exit, and its
    own peak memory. Raises, with what it said, if it fails.

    The peak comes from GNU time (``/usr/bin/time -f %M``), a small parent: the kernel counts in a
    process's peak the memory of the process that started it (the copy before ``exec``), so started
    straight from a big benchmark every command would seem at least as big as the benchmark.
    Without GNU time the peak is ``wait4``'s, which has that floor. GNU time adds about a millisecond."""
    with tempfile.TemporaryDirectory() as folder:
        output, peak = Path(folder) / "output", Path(folder) / "peak"
        wrapped = [GNU_TIME, "-f", "%M", "-o", str(peak), *command] if GNU_TIME else list(command)
        with output.open("wb") as sink:
            started = time.perf_counter()
            process = subprocess.Popen(wrapped, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
            _pid, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            said = output.read_text(errors="replace").strip()[-2000:]
            raise RuntimeError(f"{' '.join(map(str, command))} exited with {process.returncode}:\n{said}")
        peak_kib = int(peak.read_text().split()[-1]) if GNU_TIME else usage.ru_maxrss
    return {"seconds": seconds, "peak_mb": peak_kib / 1024}


GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def best_median(values: Sequence[float]) -> tuple[float, float]:
    """The best (least) and the median of several rounds."""
    return min(values), statistics.median(values)


def paired_ratios(ours: Sequence[dict], baseline: Sequence[dict]) -> list[float]:
    """``ours`` over ``baseline`` within each round (the two ran one after the other), smallest first.

    On a shared machine a slow spell slows both sides of a round, so this is the steadier figure."""
    return sorted(a["seconds"] / b["seconds"] for a, b in zip(ours, baseline, strict=True))


def print_side_by_side(rows: Sequence[tuple[str, Sequence[dict], Sequence[dict], str]], width: int = 46) -> None:
    """One line per (label, ours, baseline, target): best and median seconds and peak memory of each,
    and the ratio within each round (median, best, worst) against the target."""
    print(
        f"{'':{width}} {'best s':>7} {'median s':>9} {'peak MB':>8}   "
        f"{'baseline best/median s':>22} {'ratio in round: median (best-worst)':>36}  target"
    )
    for label, ours, baseline, target in rows:
        best, median = best_median([run["seconds"] for run in ours])
        base_best, base_median = best_median([run["seconds"] for run in baseline])
        ratios = paired_ratios(ours, baseline)
        peak = max(run["peak_mb"] for run in ours)
        print(
            f"{label:{width}} {best:>7.2f} {median:>9.2f} {peak:>8.0f}   "
            f"{f'{base_best:.2f} / {base_median:.2f}':>22} "
            f"{f'{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f}x)':>36}  {target}"
        )


def code_version() -> str:
    """The commit measured (and whether files differ from it), for the record: the code moves on."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "planner", "db"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout"
    return f"code: commit {commit}" + (" with uncommitted changes to planner/ or db/" if changed else "")
