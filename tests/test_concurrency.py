"""Several people log at once, on SQLite and PostgreSQL.

Eight forked processes each run `delight log sent` command after command over 1,000 gestures,
some of them the same ones. Afterwards each gesture is logged exactly once (one ``sent`` audit
event, ``sent_by`` of whoever came first), none is lost, and every command exited cleanly,
reporting duplicates as "already logged".
"""

from __future__ import annotations

import multiprocessing
import random
import re
import traceback

from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from db.models import AuditEvent, Customer, Gesture
from planner.cli import cli

GESTURES = 1000
WORKERS = 8
OVERLAP = 40  # each worker also logs this many of the next worker's gestures
BATCH = 15


def make_gestures(engine: Engine) -> list[int]:
    with Session(engine) as session, session.begin():
        customers = [Customer(external_id=f"C{n:05d}", name=f"고객 {n}") for n in range(100)]
        session.add_all(customers)
        session.flush()
        gestures = [
            Gesture(customer_id=customers[n % 100].id, week="2026-W49", kind="cheer_message", currency="KRW")
            for n in range(GESTURES)
        ]
        session.add_all(gestures)
        session.flush()
        return [g.id for g in gestures]


def work_lists(ids: list[int]) -> list[list[int]]:
    size = len(ids) // WORKERS
    blocks = [ids[w * size : (w + 1) * size] for w in range(WORKERS)]
    rng = random.Random(7)
    lists = []
    for w in range(WORKERS):
        mine = blocks[w] + rng.sample(blocks[(w + 1) % WORKERS], OVERLAP)
        rng.shuffle(mine)
        lists.append(mine)
    return lists


def run_worker(db_url: str, worker: int, ids: list[int]) -> list[tuple[int, str, str]]:
    """In a process of its own: log ``ids`` in batches as one person would, command after command."""
    runner = CliRunner()
    done = []
    for start in range(0, len(ids), BATCH):
        batch = [str(i) for i in ids[start : start + BATCH]]
        result = runner.invoke(cli, ["--db", db_url, "log", "sent", *batch, "--by", f"worker{worker}"])
        problem = "".join(traceback.format_exception(result.exception)) if result.exit_code not in (0, 1) else ""
        done.append((result.exit_code, result.stdout, result.stderr + problem))
    return done


def test_eight_loggers_at_once_log_each_gesture_exactly_once(engine: Engine, db_url: str) -> None:
    ids = make_gestures(engine)
    lists = work_lists(ids)
    engine.dispose()  # the workers are forked: they must not share this process's connections
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        per_worker = pool.starmap(run_worker, [(db_url, w, lists[w]) for w in range(WORKERS)])
    results = [run for runs in per_worker for run in runs]
    for exit_code, _, stderr in results:
        assert exit_code == 0 and stderr == "", stderr
    logged = sum(int(re.match(r"Logged (\d+) gestures?", stdout).group(1)) for _, stdout, _ in results)  # type: ignore[union-attr]
    already = sum(stdout.count("already logged as sent by worker") for _, stdout, _ in results)
    assert logged == GESTURES
    assert already == WORKERS * OVERLAP
    with Session(engine) as session:
        statuses = dict(session.execute(select(Gesture.status, func.count()).group_by(Gesture.status)).all())
        assert statuses == {"sent": GESTURES}
        events = session.execute(
            select(AuditEvent.entity_id, AuditEvent.actor).where(
                AuditEvent.entity == "gesture", AuditEvent.action == "sent"
            )
        ).all()
        assert len(events) == GESTURES and {entity_id for entity_id, _ in events} == set(ids)
        sent_by = dict(session.execute(select(Gesture.id, Gesture.sent_by)).all())
    assert all(sent_by[entity_id] == actor for entity_id, actor in events)
    loggers = {gesture_id: {f"worker{w}" for w, mine in enumerate(lists) if gesture_id in mine} for gesture_id in ids}
    assert all(sent_by[gesture_id] in loggers[gesture_id] for gesture_id in ids)
