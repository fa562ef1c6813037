"""Start-up: every command imports only what it needs (the time is measured in bench/bench_startup.py).

Each command runs in a fresh interpreter, and reports the heavy libraries it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from click.testing import Result

PROBE = """
import json, sys
from planner.cli import cli
code = 0
try:
    cli(sys.argv[1:], prog_name="delight")
except SystemExit as exit:
    code = exit.code
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {"polars", "faker", "reportlab",
      "openpyxl", "kiwipiepy", "rule_engine", "alembic"} or name == "planner.core.plan")), file=sys.stderr)
sys.exit(code)
"""


def loaded(*arguments: str) -> list[str]:
    """The heavy modules a fresh ``delight ARGUMENTS`` imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_imports_nothing_heavy() -> None:
    assert loaded("--help") == []
    assert loaded("plan", "--help") == []


def test_logging_a_gesture_imports_nothing_heavy(initialised: Callable[..., Result], db_url: str) -> None:
    initialised("seed", "--customers", "60", "--seed", "2", "--today", "2026-11-30")
    assert initialised("plan", "--week", "2026-W49", "--seed", "1").exit_code == 0
    planned = json.loads(initialised("list", "--week", "2026-W49", "--status", "planned", "--format", "json").output)
    assert loaded("--db", db_url, "log", "sent", str(planned[0]["gesture_id"]), "--by", "지민") == []
    sent = json.loads(initialised("list", "--week", "2026-W49", "--status", "sent", "--format", "json").output)
    assert [gesture["gesture_id"] for gesture in sent] == [planned[0]["gesture_id"]]


def test_the_probe_sees_what_planning_loads(initialised: Callable[..., Result], db_url: str) -> None:
    """The probe can fail: planning does need polars and the planner."""
    initialised("seed", "--customers", "60", "--seed", "2", "--today", "2026-11-30")
    planning = set(loaded("--db", db_url, "plan", "--week", "2026-W49"))
    assert {"polars", "planner.core.plan"} <= planning
    # ...and only that: no printouts (ReportLab), no seeding (Faker), no spreadsheets, no Korean analyser.
    assert not {"reportlab", "faker", "openpyxl", "kiwipiepy"} & {name.split(".")[0] for name in planning}
