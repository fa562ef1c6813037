"""Several people log, and plan, at once, on SQLite and PostgreSQL.

Eight processes each run `delight log sent` command after command over 1,000 gestures,
some of them the same ones. Afterwards each gesture is logged exactly once (one ``sent`` audit
event, ``sent_by`` of whoever came first), none is lost, and every command exited cleanly,
reporting duplicates as "already logged".
"""

from __future__ import annotations

import multiprocessing
import random
import re
import time
import traceback

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

import db.engine
from db.models import AuditEvent, Customer, Gesture
from planner.cli import cli
from planner.services.planning import PLAN_LOCKS

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
    engine.dispose()
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
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


def plan_in_a_process(db_url: str, hold_before_commit: float, start_after: float) -> tuple[int, str]:
    """`delight plan` of one week in a process of its own; it may pause after storing, before committing."""
    import time

    from planner.services import planning

    time.sleep(start_after)
    stored = planning.list_gestures_in

    def slow_to_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
        gestures = stored(*args, **kwargs)
        time.sleep(hold_before_commit)  # the plan is stored, not yet committed
        return gestures

    planning.list_gestures_in = slow_to_commit  # type: ignore[assignment]
    result = CliRunner().invoke(cli, ["--db", db_url, "plan", "--week", "2026-W49", "--seed", "1"])
    return result.exit_code, result.output


def test_two_plans_of_one_week_at_once_take_turns(initialised, store: Engine, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """The second plan waits for the first and sees its gestures: no customer planned twice, the budget spent once.

    (On PostgreSQL the week's advisory lock makes it wait, before it reads anything.) The workers are
    spawned, not forked: polars' thread pool does not survive a fork.
    """
    assert initialised("seed", "--customers", "300", "--seed", "3", "--today", "2026-11-30").exit_code == 0
    store.dispose()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(plan_in_a_process, [(db_url, 2.0, 0.0), (db_url, 0.0, 0.7)])
    for exit_code, output in results:
        assert exit_code == 0, output
    with store.connect() as connection:
        doubled = connection.exec_driver_sql(
            "SELECT customer_id, COUNT(*) FROM gestures WHERE week = '2026-W49' "
            "AND status IN ('planned', 'held_out') GROUP BY customer_id HAVING COUNT(*) > 1"
        ).all()
        spent = connection.exec_driver_sql(
            "SELECT COALESCE(SUM(cost_minor), 0) FROM gestures WHERE week = '2026-W49' AND status = 'planned'"
        ).scalar_one()
    assert doubled == []
    assert spent <= 300_000


@pytest.fixture
def short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db.engine, "LOCK_TIMEOUT_MS", 300)


def test_a_plan_behind_another_plan_of_the_week_says_so(
    planned_store, store: Engine, db_url: str, short_lock_timeout
) -> None:  # type: ignore[no-untyped-def]
    if store.dialect.name != "postgresql":
        pytest.skip("SQLite has no advisory locks: a plan's write transaction holds the whole database")
    with store.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:space, :week)"), {"space": PLAN_LOCKS, "week": 202649})
        result = planned_store("plan", "--week", "2026-W49")
        other_week = planned_store("plan", "--week", "2026-W50")
        holder.execute(text("SELECT pg_advisory_unlock_all()"))
    assert result.exit_code == 1
    assert result.output == "Error: another plan of week 2026-W49 is being made: try again when it is done\n"
    assert other_week.exit_code == 0, other_week.output


def test_every_command_behind_a_held_lock_says_so_in_time(
    planned_store, store: Engine, db_url: str, short_lock_timeout
) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL `log sent` once waited in silence for as long as another held the row.

    (A plan that finds the week full changes no row there, so on PostgreSQL it does not wait.)
    """
    gesture = planned_store("list", "--week", "2026-W49", "--status", "planned", "--format", "csv").output
    gesture_id = gesture.splitlines()[1].split(",")[0].lstrip("\ufeff")
    with store.connect() as holder:
        if store.dialect.name == "postgresql":
            holder.execute(text("SELECT id FROM gestures WHERE id = :id FOR UPDATE"), {"id": int(gesture_id)})
        else:
            holder.exec_driver_sql("UPDATE gestures SET note = note WHERE id = 0")  # the write lock
        started = time.monotonic()
        logged = planned_store("log", "sent", gesture_id, "--by", "지민")
        planned = planned_store("plan", "--week", "2026-W49")
        waited = time.monotonic() - started
        holder.rollback()
    where = store.url.render_as_string(hide_password=True)
    if store.dialect.name == "postgresql":  # a plan reads the week without locking its rows
        assert planned.exit_code == 0, planned.output
    for result in (logged, planned) if store.dialect.name == "sqlite" else (logged,):
        assert result.exit_code == 1, result.output
        assert result.output == f"Error: database {where} is locked by another program; try again in a moment\n"
    assert waited < 10
    assert planned_store("log", "sent", gesture_id, "--by", "지민").exit_code == 0
