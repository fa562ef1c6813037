"""The ``delight`` command line: parse options, call the library once, print the result.

No SQL, rule evaluation or drawing happens here. Library errors (``DelightError``)
become one ``Error: ...`` line and exit code 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from sqlalchemy import Engine

from db import schema
from db.engine import database_url, make_engine, transaction
from db.seed import LOCALES, SeedOptions, seed_database
from planner import demo as demo_module
from planner.errors import DelightError


class DelightGroup(click.Group):
    """A group that turns library errors into one clean ``Error:`` line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DelightError as exc:
            raise click.ClickException(str(exc)) from exc


class App:
    """What every command shares: the database location and, once needed, its engine."""

    def __init__(self, db: str | None) -> None:
        self.url = database_url(db)
        self._engine: Engine | None = None

    def engine(self, *, check_schema: bool = True) -> Engine:
        """The engine, built once; by default refuses a missing or out-of-date database."""
        if self._engine is None:
            self._engine = make_engine(self.url)
        if check_schema:
            schema.check(self._engine)
        return self._engine

    def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()


pass_app = click.make_pass_decorator(App)


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (only on a terminal); yields the callback that advances it."""
    if not sys.stderr.isatty():
        yield lambda _done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """A click callback for ``YYYY-MM-DD`` options."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f'"{value}" is not a date like 2026-11-30') from None


@click.group(cls=DelightGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="DELIGHT_DB",
    metavar="PATH_OR_URL",
    help="SQLite file or database URL (default: ./delight.db; env DELIGHT_DB).",
)
@click.version_option(package_name="delight-planner")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Plan weekly surprise-and-delight gestures: who gets a handwritten note, and why.

    \b
    A week with delight:
      delight demo                      # try it all on believable data
      delight init                      # create ./delight.db
      delight seed --customers 5000     # or import your shop's data
    """
    app = App(db)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.command()
@pass_app
def init(app: App) -> None:
    """Create the database, or upgrade it to this version of delight.

    Safe to run again: an up-to-date database is left as it is, and an upgrade keeps
    every row. Other commands refuse an out-of-date database and point here.

    \b
    Example:
      delight --db shop.db init
    """
    before, after = schema.upgrade(app.engine(check_schema=False))
    if before == after:
        click.echo(f"{app.url}: already up to date (schema {after}).")
    elif before is None:
        click.echo(f"{app.url}: created (schema {after}).")
    else:
        click.echo(f"{app.url}: upgraded from schema {before} to {after}.")


@cli.command()
@click.option("--customers", type=click.IntRange(min=1), default=1000, show_default=True, help="How many.")
@click.option("--locale", type=click.Choice(LOCALES), default="ko_KR", show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option("--today", callback=parse_date, help="Make histories up to this date (default: today).")
@pass_app
def seed(app: App, customers: int, locale: str, seed_value: int, today: date | None) -> None:
    """Fill an empty database with believable customers, orders and reviews.

    First-time buyers, regulars, lapsed regulars, high spenders, birthdays this week,
    refunds, low ratings, open complaints and do-not-contact customers — the histories
    an ops team sees. The same --seed and --today give identical data.

    \b
    Example:
      delight init && delight seed --customers 10000 --locale mixed --seed 7
    """
    options = SeedOptions(customers=customers, locale=locale, seed=seed_value, today=today or date.today())
    engine = app.engine()
    with progress_bar(customers, "Seeding") as advance, transaction(engine) as session:
        summary = seed_database(session.connection(), options, advance)
    click.echo(
        f"Seeded {summary.customers:,} customers, {summary.orders:,} orders "
        f"({summary.refunded_or_cancelled:,} refunded or cancelled), {summary.feedback:,} feedback "
        f"({summary.open_complaints:,} open complaints), {summary.do_not_contact:,} do-not-contact."
    )


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("delight-demo"),
    show_default=True,
    help="Where to make the demo.",
)
@click.option("--force", is_flag=True, help="Replace an existing demo in DIR.")
@click.option("--customers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
def demo(directory: Path, force: bool, customers: int, seed_value: int) -> None:
    """Make a demo shop in a new folder and show a week of delight.

    Creates DIR/delight.db, fills it with believable Korean-and-English customers,
    and prepares this week. Start here.

    \b
    Example:
      delight demo && cd delight-demo && delight list
    """
    with progress_bar(customers, "Seeding") as advance:
        summary = demo_module.make_demo(
            directory, force=force, customers=customers, seed=seed_value, progress=advance
        )
    click.echo(demo_module.describe(summary))


def main() -> None:
    """Entry point of the ``delight`` console script."""
    cli(prog_name="delight")
