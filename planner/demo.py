"""``delight demo``: a fresh demo shop, seeded and prepared, in a folder of its own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from db import schema
from db.engine import database_url, make_engine, transaction
from db.seed import SeedOptions, SeedSummary, seed_database
from planner.errors import InputError

DEMO_DB = "delight.db"


@dataclass(frozen=True)
class DemoSummary:
    """What ``make_demo`` made, and where."""

    directory: Path
    database: Path
    seeded: SeedSummary


def make_demo(
    directory: Path,
    *,
    force: bool = False,
    customers: int = 2000,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Create ``directory`` with a seeded demo database; refuses to overwrite without ``force``."""
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise InputError(f"{directory} already exists: use --force to replace it, or --dir NEW")
        if not (directory / DEMO_DB).exists():
            raise InputError(f"{directory} is not a delight demo folder: refusing to replace it")
        shutil.rmtree(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {directory}: {exc.strerror}") from None
    database = directory / DEMO_DB
    engine = make_engine(database_url(str(database)))
    try:
        schema.upgrade(engine)
        options = SeedOptions(customers=customers, locale="mixed", seed=seed, today=today or date.today())
        with transaction(engine) as session:
            seeded = seed_database(session.connection(), options, progress)
    finally:
        engine.dispose()
    return DemoSummary(directory=directory, database=database, seeded=seeded)


def describe(summary: DemoSummary) -> str:
    """A short, friendly account of what the demo made."""
    seeded = summary.seeded
    return "\n".join(
        [
            f"Demo shop ready in {summary.directory}/",
            f"  {seeded.customers:,} customers, {seeded.orders:,} orders, {seeded.feedback:,} reviews and messages",
            f"  database: {summary.database}",
            "",
            "Next:",
            f"  cd {summary.directory}",
            "  delight --help",
        ]
    )
