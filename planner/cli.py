"""The ``delight`` command line: parse options, call the library once, print the result.

No SQL, rule evaluation or drawing happens here. Library errors (``DelightError``)
become one ``Error: ...`` line and exit code 1.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from db.catalogue import LOCALES
from db.vocabulary import GestureStatus
from planner.core import limits
from planner.core.errors import DelightError, RejectedImport
from planner.files import spreadsheet

if TYPE_CHECKING:
    from sqlalchemy import Engine


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
        from db.engine import database_url

        self.url = database_url(db)
        self._engine: Engine | None = None

    def engine(self, *, check_schema: bool = True) -> Engine:
        """The engine, built once; by default refuses a missing or out-of-date database."""
        if self._engine is None:
            from db.engine import make_engine

            self._engine = make_engine(self.url)
        if check_schema:
            from db import schema

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


def status_line(text: str) -> None:
    """What a long command is doing now, on stderr (only on a terminal, so pipes and files stay clean)."""
    if sys.stderr.isatty():
        click.echo(f"{text}…", err=True)


def say(text: str) -> None:
    """Print text to stdout, ending it with exactly one newline."""
    click.echo(text, nl=not text.endswith("\n"))


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """A click callback for ``YYYY-MM-DD`` options: a date a shop can have."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f'"{value}" is not a date like 2026-11-30') from None
    if not limits.in_date_range(day):
        raise click.BadParameter(f"{value} is out of range: delight takes dates {limits.DATE_RANGE}")
    return day


def by_option(*, required: bool = True, what: str = "did it") -> Callable[[Callable], Callable]:
    """The --by option of every command that records who acted: --by NAME, else $DELIGHT_USER.

    Never empty; when neither is given the command stops (unless ``required`` is false: a file's
    rows may name their own people).
    """

    def actor(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        from planner.terminal import checked_name

        if value is None:
            if required:
                raise click.UsageError(f"say who {what}: --by NAME, or set DELIGHT_USER")
            return None
        return checked_name(value, "--by", what)

    return click.option(
        "--by", envvar="DELIGHT_USER", metavar="NAME", callback=actor, help=f"Who {what} (default: $DELIGHT_USER)."
    )


# Whole numbers on the command line, bounded where the database or Python would otherwise fail.
ID = click.IntRange(1, limits.MAX_ID)
SEED = click.IntRange(0, limits.MAX_SEED)
CUSTOMERS = click.IntRange(1, limits.MAX_CUSTOMERS)


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
      delight import orders orders.csv  # your shop's data (or: delight seed)
      delight plan                      # who gets what this week, and why
      delight print cards               # also: print envelopes, briefs, labels
      delight log sent 12 13 --by 민지  # what was done
      delight week                      # the week at a glance
      delight report                    # did it work? (against the control group)
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
    from db import schema

    done = schema.upgrade(app.engine(check_schema=False))
    if done.before == done.after:
        click.echo(f"{app.url}: already up to date (schema {done.after}).")
    elif done.before is None:
        click.echo(f"{app.url}: created (schema {done.after}).")
    else:
        click.echo(f"{app.url}: upgraded from schema {done.before} to {done.after}.")
    if done.repaired:
        click.echo(f"Repaired: made again what was missing ({', '.join(done.repaired)}).")


@cli.command()
@click.option("--customers", type=CUSTOMERS, default=1000, show_default=True, help="How many.")
@click.option("--locale", type=click.Choice(LOCALES), default="ko_KR", show_default=True)
@click.option("--seed", "seed_value", type=SEED, default=1, show_default=True, help="Same seed, same data.")
@click.option("--today", callback=parse_date, help="Make histories up to this date (default: today).")
@click.option(
    "--plant-effect",
    type=float,
    help="Also log 12 past weeks of gestures with a control group; those sent one buy again this much more "
    "often (0.15 = 15 points), to check `delight report` against.",
)
@click.option(
    "--export-smartstore",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.xlsx",
    help="Also write the orders as a Naver SmartStore order export, for `delight import orders`.",
)
@pass_app
def seed(
    app: App,
    customers: int,
    locale: str,
    seed_value: int,
    today: date | None,
    plant_effect: float | None,
    export_smartstore: Path | None,
) -> None:
    """Fill an empty database with believable customers, orders and reviews.

    First-time buyers, regulars, lapsed regulars, high spenders, birthdays this week,
    refunds, low ratings, open complaints and do-not-contact customers — the histories
    an ops team sees. The same --seed and --today give identical data.

    \b
    Examples:
      delight init && delight seed --customers 10000 --locale mixed --seed 7
      delight seed --customers 6000 --plant-effect 0.15 && delight report
      delight seed --locale ko_KR --export-smartstore 스마트스토어_주문.xlsx
    """
    from db.engine import transaction
    from db.seed import SeedOptions, seed_database

    options = SeedOptions(
        customers=customers,
        locale=locale,
        seed=seed_value,
        today=today or date.today(),
        plant_effect=plant_effect,
        export_smartstore=export_smartstore,
    )
    engine = app.engine()
    with progress_bar(customers, "Seeding") as advance, transaction(engine, write=True) as session:
        summary = seed_database(session.connection(), options, advance)
    click.echo(
        f"Seeded {summary.customers:,} customers, {summary.orders:,} orders "
        f"({summary.refunded_or_cancelled:,} refunded or cancelled), {summary.feedback:,} feedback "
        f"({summary.open_complaints:,} open complaints), {summary.do_not_contact:,} do-not-contact."
    )
    if plant_effect is not None:
        click.echo(
            f"Planted an effect of {plant_effect:+.0%} on repurchase: {summary.planted_treated:,} gestures sent, "
            f"{summary.planted_control:,} held out, over 12 past weeks."
        )
    if export_smartstore is not None:
        click.echo(f"Wrote the orders as a SmartStore export ({summary.exported_rows:,} rows): {export_smartstore}")


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
@click.option("--customers", type=CUSTOMERS, default=2000, show_default=True)
@click.option("--seed", "seed_value", type=SEED, default=1, show_default=True)
def demo(directory: Path, force: bool, customers: int, seed_value: int) -> None:
    """Make a demo shop in a new folder and show a week of delight.

    Creates DIR/delight.db, fills it with believable Korean-and-English customers,
    and prepares this week. Start here.

    \b
    Example:
      delight demo && cd delight-demo && delight list
    """
    from planner.services import demo as demo_module

    with progress_bar(customers, "Seeding") as advance:
        summary = demo_module.make_demo(directory, force=force, customers=customers, seed=seed_value, progress=advance)
    click.echo(demo_module.describe(summary))


RULES_FILE = "delight-rules.toml"
rules_option = click.option(
    "--rules",
    "rules_path",
    envvar="DELIGHT_RULES",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=lambda: RULES_FILE if Path(RULES_FILE).is_file() else None,
    help=f"Rules file (default: ./{RULES_FILE} if present, else the shipped rules; env DELIGHT_RULES).",
)
week_option = click.option("--week", help="ISO week like 2026-W49 (default: this week).")


def table_output(*formats: str, default: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--format and -o FILE for a command that writes a table; the command gets the format to write.

    Without --format, FILE's extension says (.csv, .xlsx, .json, .txt for a table), else DEFAULT.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def chosen(*args: object, output_format: str | None, output: Path | None, **kwargs: object) -> None:
            resolved = spreadsheet.format_for(output_format, output, default, formats)
            command(*args, output_format=resolved, output=output, **kwargs)

        with_output = click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Write to FILE (.csv, .xlsx, .json) instead of stdout.",
        )(chosen)
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(formats),
            help=f"Output format (default: as -o FILE's extension says, else {default}).",
        )(with_output)

    return decorate


def emit(content: str | spreadsheet.Sheet | spreadsheet.FrameSheet, output_format: str, output: Path | None) -> None:
    """A command's result to -o FILE or stdout; CSV gets a BOM only where Excel may open it (a file, not a pipe)."""
    if output is not None:
        with spreadsheet.open_output(output) as handle:
            if isinstance(content, str):
                handle.write(content.encode("utf-8") + (b"" if content.endswith("\n") else b"\n"))
            else:
                spreadsheet.write_sheet(content, output_format, handle, bom=True)
        click.echo(f"Wrote {output}.", err=True)
    elif isinstance(content, str):
        say(content)
    elif output_format == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("an .xlsx workbook is binary: write it to a file with -o FILE.xlsx (or > FILE.xlsx)")
    else:
        sys.stdout.flush()
        spreadsheet.write_sheet(content, output_format, sys.stdout.buffer, bom=spreadsheet.stdout_is_a_file())


def parse_money(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Decimal | None:
    """A click callback for amounts: digits with an optional decimal point (commas allowed)."""
    if value is None:
        return None
    from planner.core.money import parse_amount

    try:
        return parse_amount(value)
    except DelightError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@week_option
@rules_option
@click.option("--budget", callback=parse_money, help="This week's budget (default: weekly_budget in the rules).")
@click.option("--seed", "seed_value", type=SEED, help="Same seed and data, same plan (default: a new one, printed).")
@click.option("--as-of", "as_of", callback=parse_date, help="Facts as of this date (default: the week's Monday).")
@click.option("--replace", is_flag=True, help="Redraw a week already planned (asks first; what was logged stays).")
@click.option("--yes", is_flag=True, help="With --replace: do not ask (for scripts).")
@pass_app
def plan(
    app: App,
    week: str | None,
    rules_path: Path | None,
    budget: Decimal | None,
    seed_value: int | None,
    as_of: date | None,
    replace: bool,
    yes: bool,
) -> None:
    """Pick this week's customers for gestures, within budget and capacity, and store the plan.

    Rules (a TOML file; `delight rules show` prints the default with comments) say who
    deserves what. Cooldowns, variety and do-not-contact always apply; anyone with an open
    complaint or an unanswered low rating gets a call or nothing, first in line; and a control
    group is held out from the surprises so `delight report` can tell whether they worked.

    A week, once planned, is stable: planning it again keeps every planned gesture (the cards
    you printed stay right) and only fills what was freed since — a skipped, failed or cancelled
    gesture, a higher --budget. `--replace` redraws the week; what was logged always stays.

    \b
    Examples:
      delight plan
      delight plan --week 2026-W49 --budget 200000 --seed 42
      delight plan --rules our-rules.toml
      delight plan --week 2026-W49 --replace --yes
    """
    from planner import views
    from planner.services import planning

    if yes and not replace:
        raise click.UsageError("--yes only goes with --replace")
    if replace and not yes:
        chosen, planned, held_out = planning.week_plan_size(app.engine(), week, rules_path)
        question = (
            f"Redraw {chosen}? Its {planned} planned gestures and {held_out} held out are cancelled "
            "(cards already printed for them go stale); what was logged stays."
        )
        if not sys.stdin.isatty():
            raise click.UsageError(f"{question} Add --yes to redraw it without asking.")
        click.confirm(question, abort=True, err=True)
    options = planning.PlanOptions(
        week=week, rules_path=rules_path, budget=budget, seed=seed_value, as_of=as_of, replace=replace
    )
    result = planning.plan_week(app.engine(), options, step=status_line)
    click.echo(views.plan_summary(result))


@cli.command("list")
@week_option
@click.option(
    "--status",
    type=click.Choice([*(s.value for s in GestureStatus), "all"]),
    help="Only gestures with this status; all: every one (default: planned, then logged).",
)
@table_output("table", "csv", "xlsx", "json", default="table")
@rules_option
@pass_app
def list_(
    app: App,
    week: str | None,
    status: str | None,
    output_format: str,
    output: Path | None,
    rules_path: Path | None,
) -> None:
    """Show a week's gestures: who, what, why, and who writes it.

    What needs doing first (planned), then what was logged; a line says how many were held out
    as the control group or cancelled (--status all lists them too). CSV and JSON add the phone
    for calls and the address for what is posted, for a mail-merge.

    \b
    Examples:
      delight list
      delight list --week 2026-W49 --status planned --format csv > week.csv
      delight list --week 2026-W49 -o week.xlsx
    """
    from planner import views
    from planner.services import planning

    listed = planning.list_gestures(app.engine(), week, status, rules_path)
    emit(views.gestures_output(listed.gestures, output_format, listed.language), output_format, output)
    note = views.not_listed(listed)
    if note and output_format == "table" and output is None:  # csv and json are data: only what was asked for
        click.echo(note)


@cli.command()
@click.argument("customer")
@week_option
@rules_option
@pass_app
def explain(app: App, customer: str, week: str | None, rules_path: Path | None) -> None:
    """Say why CUSTOMER was or was not chosen: their facts, each rule, and what removed them.

    CUSTOMER is the customer id as imported, their email or their name (any case); when
    several customers match, they are listed.

    \b
    Example:
      delight explain C0000042 --week 2026-W49
      delight explain "kim minji"
    """
    from planner import views
    from planner.services import planning

    click.echo(views.explanation(planning.explain_customer(app.engine(), customer, week, rules_path)))


@cli.command()
@click.option("--as-of", "as_of", callback=parse_date, help="Facts as of this date (default: this week's Monday).")
@table_output("csv", "xlsx", "json", default="csv")
@rules_option
@pass_app
def facts(app: App, as_of: date | None, output_format: str, output: Path | None, rules_path: Path | None) -> None:
    """Write every customer's facts to stdout (or -o FILE), one row per customer, for spreadsheets.

    These are the names rules use (see `delight rules show`).

    \b
    Example:
      delight facts --as-of 2026-11-30 > facts.csv
      delight facts -o facts.xlsx
    """
    from planner import views
    from planner.services import planning

    frame = planning.export_facts(app.engine(), as_of, rules_path)
    emit(views.facts_output(frame, output_format), output_format, output)


@cli.group()
def rules() -> None:
    """Read and check rules files."""


@rules.command("show")
def rules_show() -> None:
    """Print the default rules file, with comments that explain every setting.

    \b
    Example:
      delight rules show > our-rules.toml
    """
    from planner.core.rules import default_rules_text

    click.echo(default_rules_text(), nl=False)


@rules.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Check a rules file: syntax, facts, types and gesture kinds, without planning.

    \b
    Example:
      delight rules check our-rules.toml
    """
    from planner.core.rules import load_rules

    ruleset = load_rules(file).check_conditions()
    click.echo(f"{file}: OK — {len(ruleset.rules)} rules, {len(ruleset.gestures)} gesture kinds.")


@cli.group("print")
def print_() -> None:
    """Print what people need on writing day: note cards, writer's briefs and call sheets, envelopes, labels."""


paper_option = click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF file (default: in this folder)."
)
font_option = click.option(
    "--font",
    "font_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your own TrueType brand font (default: the bundled Korean/English font).",
)


def printing_options(command: Callable) -> Callable:
    """The options every printout shares: week, output file, font, rules."""
    for option in reversed((week_option, output_option, font_option, rules_option)):
        command = option(command)
    return command


@print_.command("cards")
@printing_options
@click.option(
    "--layout",
    type=click.Choice(["a6", "a4x4", "letter4x6"]),
    default="a6",
    show_default=True,
    help="a6: one card per page; a4x4: four A6 on A4; letter4x6: two 4x6 in on US Letter.",
)
@click.option("--guide", is_flag=True, help="Print the suggested opening line lightly, to copy or ignore.")
@pass_app
def print_cards(
    app: App,
    week: str | None,
    layout: str,
    guide: bool,
    output: Path | None,
    font_path: Path | None,
    rules_path: Path | None,
) -> None:
    """Note cards to write on by hand, one writer's stack together.

    Every kind with physical = true in the rules gets cards. Each card carries a small mark,
    "#12 · MK" (the gesture id and the writer's initials), to match it with its envelope and log it.

    \b
    Examples:
      delight print cards
      delight print cards --layout a4x4 --guide -o cards.pdf
    """
    from planner import views
    from planner.services import printing

    options = printing.PrintOptions(
        week=week, output=output, layout=layout, guide=guide, font_path=font_path, rules_path=rules_path
    )
    click.echo(views.printed(printing.print_cards(app.engine(), options), "note cards"))


@print_.command("briefs")
@printing_options
@paper_option
@pass_app
def print_briefs(
    app: App, week: str | None, paper: str, output: Path | None, font_path: Path | None, rules_path: Path | None
) -> None:
    """The writer's brief: who each customer is, why them, what they said, what they had before.

    Calls (kinds with recovery = true) come first, each as a call sheet on a page of its own:
    the phone number, their complaint or review in their words, what they ordered, what was
    tried before, and room to write how it went. In the team's language (team_language).

    \b
    Example:
      delight print briefs --paper letter
    """
    from planner import views
    from planner.services import printing

    options = printing.PrintOptions(week=week, output=output, paper=paper, font_path=font_path, rules_path=rules_path)
    click.echo(views.printed(printing.print_briefs(app.engine(), options), "briefs"))


kind_option = click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="KIND",
    help="Only this physical kind, e.g. --kind small_gift (repeatable; default: every kind with physical = true).",
)


@print_.command("labels")
@printing_options
@paper_option
@kind_option
@pass_app
def print_labels(
    app: App,
    week: str | None,
    paper: str,
    kinds: tuple[str, ...],
    output: Path | None,
    font_path: Path | None,
    rules_path: Path | None,
) -> None:
    """Address labels for everything posted (21 per A4 sheet, 30 per US Letter sheet), and a packing list for gifts.

    Every kind with physical = true in the rules gets labels: notes, gifts, postcards. Each label
    has the return address (rules: [return_address]) and a small mark, "#12 · MK": the gesture id
    and the writer's initials, to match it with its card and log it. The packing list says which
    gift goes to whom, with the label's mark, and what the shelf holds.

    \b
    Examples:
      delight print labels --paper letter -o gifts.pdf
      delight print labels --kind small_gift
    """
    from planner import views
    from planner.services import printing

    options = printing.PrintOptions(
        week=week, output=output, paper=paper, font_path=font_path, rules_path=rules_path, kinds=kinds
    )
    labels, packing = printing.print_labels(app.engine(), options)
    click.echo(views.printed(labels, "address labels"))
    if packing is not None:
        click.echo(views.printed(packing, "packing list"))


@print_.command("envelopes")
@printing_options
@paper_option
@click.option(
    "--size",
    type=click.Choice(["c6", "dl", "a2", "no10"]),
    help="c6 or dl for A4 countries, a2 or no10 (#10) for US Letter (default: c6 with --paper a4, a2 with letter).",
)
@kind_option
@pass_app
def print_envelopes(
    app: App,
    week: str | None,
    paper: str,
    size: str | None,
    kinds: tuple[str, ...],
    output: Path | None,
    font_path: Path | None,
    rules_path: Path | None,
) -> None:
    """Envelopes to write on for everything posted, one per page, in the same order as the cards.

    The recipient's address (Korean addresses big to small, the name last), the return address
    from the rules file ([return_address]) at the top left, and the mark "#12 · MK" that matches
    each envelope with its card. C6 takes an A6 card, DL a 4x6-inch card; A2 a 4.25x5.5-inch card,
    #10 a 4x6-inch card.

    \b
    Examples:
      delight print envelopes
      delight print envelopes --paper letter --size no10 -o envelopes.pdf
    """
    from planner import views
    from planner.services import printing

    options = printing.PrintOptions(
        week=week,
        output=output,
        paper=paper,
        font_path=font_path,
        rules_path=rules_path,
        kinds=kinds,
        envelope=size,
    )
    click.echo(views.printed(printing.print_envelopes(app.engine(), options), "envelopes"))


@cli.group()
def export() -> None:
    """Export what is sent through the shop's own channels."""


@export.command("messages")
@week_option
@table_output("csv", "xlsx", "json", default="csv")
@rules_option
@pass_app
def export_messages(
    app: App, week: str | None, output_format: str, output: Path | None, rules_path: Path | None
) -> None:
    """The week's cheer messages (customer, language, channel, text) for your shop's messaging tool.

    \b
    Example:
      delight export messages --week 2026-W49 > cheer.csv
      delight export messages -o cheer.xlsx
    """
    from planner import views
    from planner.services import printing

    messages = printing.cheer_messages(app.engine(), week, rules_path)
    emit(views.messages_output(messages, output_format), output_format, output)


def import_options(command: Callable[..., None]) -> Callable[..., None]:
    """The FILE argument and options every ``delight import`` command shares."""
    from planner.files.reading import ENCODINGS, FORMATS

    decorators = [
        click.argument("file", type=click.Path(dir_okay=False, path_type=Path)),
        click.option(
            "--format",
            "file_format",
            type=click.Choice(FORMATS),
            default="auto",
            show_default=True,
            help="shopify, smartstore: that export; csv: columns by name or --map; auto: an export if recognised.",
        ),
        click.option(
            "--map",
            "pairs",
            multiple=True,
            metavar="'COLUMN=field'",
            help="Read a column as a field, e.g. --map '주문번호=order_id' (repeatable).",
        ),
        click.option(
            "--mapping",
            "mapping_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A TOML file: [columns], [status], decimal_comma, currency, timezone, date_format, language.",
        ),
        click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True),
        click.option("--dry-run", is_flag=True, help="Check and count everything; write nothing."),
        click.option(
            "--skip-bad",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Import the good rows; write the bad ones, with line and reason, to FILE (.csv or .xlsx).",
        ),
        click.option(
            "--password",
            envvar="DELIGHT_XLSX_PASSWORD",
            help="The password of a protected .xlsx (env DELIGHT_XLSX_PASSWORD).",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def run_import(
    app: App,
    kind: str,
    file: Path,
    file_format: str,
    pairs: tuple[str, ...],
    mapping_file: Path | None,
    encoding: str,
    dry_run: bool,
    skip_bad: Path | None,
    password: str | None,
) -> None:
    """Import FILE as KIND and print the summary; bad rows and warnings go to stderr."""
    from db import importers

    mapping = importers.load_mapping(mapping_file, pairs)
    options = importers.ImportOptions(file_format, encoding, mapping, dry_run, skip_bad, password)
    try:
        size = file.stat().st_size if file.is_file() else 0
    except OSError:  # a name too long, say: the import itself says what is wrong with it
        size = 0
    try:
        with progress_bar(size, f"Importing {kind}") as advance:
            summary = importers.import_file(app.engine(), kind, file, options, advance)
    except RejectedImport as rejected:
        for line in rejected.details:
            click.echo(line, err=True)
        raise
    for line in [*summary.describe_bad_rows(), *summary.describe_warnings()]:
        click.echo(line, err=True)
    for line in summary.describe():
        click.echo(line)


@cli.group("feedback")
def feedback_group() -> None:
    """Listen: reviews, complaints, surveys and requests, and who has had a reply from a person.

    \b
    Example:
      delight feedback list --open
      delight feedback reply 42 --by Minji --text "보내주신 말씀 잘 받았습니다. 곧 좋은 답변 드릴게요!"
    """


@feedback_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only what still waits for a person (no reply, or unresolved).")
@click.option("--overdue", "overdue_only", is_flag=True, help="Only what is overdue for a reply from a person.")
@click.option("--max-rating", type=click.IntRange(1, 5), metavar="N", help="Only ratings of N or less.")
@click.option("--kind", metavar="KIND", help="Only review, complaint, survey or request.")
@click.option(
    "--limit",
    type=click.IntRange(0, limits.MAX_ID, clamp=True),
    default=100,
    show_default=True,
    help="At most this many (0: all).",
)
@table_output("table", "csv", "xlsx", "json", default="table")
@rules_option
@pass_app
def feedback_list(
    app: App,
    open_only: bool,
    overdue_only: bool,
    max_rating: int | None,
    kind: str | None,
    limit: int,
    output_format: str,
    output: Path | None,
    rules_path: Path | None,
) -> None:
    """Show feedback newest first: what was said, who replied and when, and who is still waiting.

    A complaint, or a rating of 2 or less, with no reply from a person after
    reply_within_days (a rules setting, default 2) is OVERDUE; the writer's brief flags it too.
    A complaint stays open until it is resolved.

    \b
    Examples:
      delight feedback list --open
      delight feedback list --overdue
      delight feedback list --max-rating 2 --format csv > low-ratings.csv
      delight feedback list --open -o waiting.xlsx
    """
    from planner.services import feedback as inbox  # imported here so that the feedback commands stay one block

    filters = inbox.FeedbackFilter(
        open_only=open_only, overdue_only=overdue_only, max_rating=max_rating, kind=kind, limit=limit or None
    )
    inbox_now = inbox.list_feedback(app.engine(), filters, rules_path)
    emit(inbox.feedback_output(inbox_now, output_format), output_format, output)


@feedback_group.command("reply")
@click.argument("feedback_id", metavar="ID")
@by_option(what="replied")
@click.option("--text", "reply_text", required=True, help="The reply, as it was sent.")
@rules_option
@pass_app
def feedback_reply(app: App, feedback_id: str, by: str, reply_text: str, rules_path: Path | None) -> None:
    """Record a person's reply to feedback ID (the id in `delight feedback list`): who, what and when.

    A complaint stays open after a reply; resolve it when it is put right.

    \b
    Example:
      delight feedback reply 42 --by Minji --text "보내주신 말씀 잘 받았습니다. 곧 좋은 답변 드릴게요!"
    """
    from planner.services import feedback as inbox

    say(inbox.describe_change(inbox.reply_to(app.engine(), feedback_id, by, reply_text, rules_path), "reply"))


@feedback_group.command("resolve")
@click.argument("feedback_ids", metavar="ID...", nargs=-1, required=True)
@by_option(what="resolved it")
@rules_option
@pass_app
def feedback_resolve(app: App, feedback_ids: tuple[str, ...], by: str, rules_path: Path | None) -> None:
    """Close feedback ID...: a resolved complaint no longer keeps the customer to recovery gestures.

    All or none: if any ID is unknown or already resolved, nothing is resolved and each is listed.
    After a recovery gesture is sent, the cooldown still applies before any surprise.

    \b
    Example:
      delight feedback resolve 42 43 --by Minji
    """
    from planner.services import feedback as inbox

    report_rejected(
        lambda: [
            inbox.describe_change(item, "resolve") for item in inbox.resolve(app.engine(), feedback_ids, by, rules_path)
        ]
    )


@cli.group("tone")
def tone_group() -> None:
    """Check wording for the voice of a machine, a bureaucracy or an advert, before a customer hears it.

    \b
    Example:
      delight tone check "고객님의 문의는 접수되었습니다"
    """


@tone_group.command("check")
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Check a file.")
@click.option("--templates", "all_templates", is_flag=True, help="Check every template, shipped and your team's.")
@click.option(
    "--templates-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar="DELIGHT_TEMPLATES",
    help="Your team's templates folder (default: ./delight-templates/ if present; env DELIGHT_TEMPLATES).",
)
@click.option(
    "--lexicon",
    "lexicon_path",
    type=click.Path(exists=True, path_type=Path),
    envvar="DELIGHT_LEXICON",
    help="Your team's lexicon file or folder (default: ./delight-lexicon.toml or ./delight-lexicon/; DELIGHT_LEXICON).",
)
@click.option("--language", type=click.Choice(["ko", "en"]), help="Only this language's rules (default: all).")
def tone_check(
    text: str | None,
    file: Path | None,
    all_templates: bool,
    templates_dir: Path | None,
    lexicon_path: Path | None,
    language: str | None,
) -> None:
    """Flag wording that reads like a machine, a bureaucracy or an advert, and suggest warmer words.

    Checks TEXT, a --file, or every template (--templates). Each sentence is scored by the
    shapes of stiff and selling wording (Korean through the Kiwi analyser, loaded on the first
    Korean sentence: about a second), and matched against lexicon files (phrase or regex,
    language, blocking or warning, why, suggestion) your team can extend. Exits 1 when anything
    blocking is flagged, so it can gate your own templates; the planner never uses a template
    with a blocking flag. It checks wording, not warmth.

    \b
    Examples:
      delight tone check "고객님의 문의는 접수되었습니다"
      delight tone check --file reply.txt
      delight tone check --templates --templates-dir delight-templates
    """
    from planner.words import tone  # imported here so that the tone commands stay one block

    if sum((text is not None, file is not None, all_templates)) != 1:
        raise click.UsageError("give one of TEXT, --file FILE or --templates")
    report = tone.check(
        text,
        file=file,
        templates=all_templates,
        templates_dir=templates_dir,
        lexicon_path=lexicon_path,
        language=language,
    )
    say("\n".join(report.lines()))
    if report.blocking:
        raise SystemExit(1)


def report_rejected(run: Callable[[], list[str]]) -> None:
    """Print a batch command's lines; for a rejected batch, each bad entry to stderr, then the error."""
    from planner.core.errors import BatchRejected

    try:
        lines = run()
    except BatchRejected as rejected:
        for line in rejected.details:
            click.echo(line, err=True)
        raise
    for line in lines:
        click.echo(line)


@cli.group("log")
def log_group() -> None:
    """Log what was done with the week's gestures: sent, skipped or failed; undo; history.

    What is logged as sent counts at once for cooldowns, max_per_year and variety.
    A batch with a bad entry logs nothing and lists every bad one. Logging a gesture
    again keeps the first record. Nothing is deleted: `delight log history` shows who
    changed what, and when.

    \b
    Example:
      delight log sent 12 13 14 --by 지민
      delight log import week.csv
    """


LOG_HELP = {
    "sent": "Log gestures as sent: written, packed or called, and on its way.",
    "skipped": "Log gestures as skipped: decided not to send them this week.",
    "failed": "Log gestures as failed: returned, undeliverable or unanswered.",
}


def _log_command(status: str) -> None:
    help_text = f"""{LOG_HELP[status]}

    GESTURE_ID is the id `delight list` shows. All or none: if any id cannot be logged
    (unknown, held out, cancelled, or already logged otherwise), nothing is logged and
    every bad id is listed. --at takes an ISO date and time; without an offset it is
    the shop's time zone (the rules file's timezone).

    \b
    Example:
      delight log {status} 12 13 14 --by 지민 --note "{"on time" if status == "sent" else "next week"}"
      delight log {status} 15 --at 2026-12-01T15:30
    """

    @log_group.command(status, help=help_text)
    @click.argument("gesture_ids", metavar="GESTURE_ID...", nargs=-1, required=True, type=ID)
    @by_option()
    @click.option("--note", help="A note kept with the gesture and its audit trail.")
    @click.option("--at", "at", metavar="DATETIME", help="When it happened (default: now).")
    @rules_option
    @pass_app
    def command(
        app: App, gesture_ids: tuple[int, ...], by: str, note: str | None, at: str | None, rules_path: Path | None
    ) -> None:
        from planner.services import logbook

        options = logbook.LogOptions(by=by, note=note, at=at, rules_path=rules_path)
        report_rejected(lambda: logbook.log_gestures(app.engine(), status, gesture_ids, options).describe())


for _status in LOG_HELP:
    _log_command(_status)


@log_group.command("undo")
@click.argument("gesture_ids", metavar="GESTURE_ID...", nargs=-1, required=True, type=ID)
@by_option()
@rules_option
@pass_app
def log_undo(app: App, gesture_ids: tuple[int, ...], by: str, rules_path: Path | None) -> None:
    """Take back log entries: the gestures are planned again; their audit trail keeps what they were.

    All or none: if any id is unknown or not logged, nothing is undone and each is listed.

    \b
    Example:
      delight log undo 12 13 --by 지민
    """
    from planner.services import logbook

    report_rejected(lambda: [result.describe() for result in logbook.undo(app.engine(), gesture_ids, by, rules_path)])


@log_group.command("history")
@click.argument("gesture_id", type=ID)
@rules_option
@pass_app
def log_history(app: App, gesture_id: int, rules_path: Path | None) -> None:
    """Show a gesture's audit trail: when it was planned, and who logged or undid what, when.

    \b
    Example:
      delight log history 12
    """
    from planner.services import logbook

    click.echo(logbook.gesture_history(app.engine(), gesture_id, rules_path).describe())


@log_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@by_option(required=False, what="did it, for rows without a by column")
@click.option("--at", "at", metavar="DATETIME", help="When, for rows without an at column (default: now).")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp949", "utf-16"]), default="auto", show_default=True)
@rules_option
@pass_app
def log_import(app: App, file: Path, by: str | None, at: str | None, encoding: str, rules_path: Path | None) -> None:
    """Log a week from a filled-in `delight list` file (CSV or .xlsx).

    Fill in the status column with sent, skipped or failed (and, if you like, by and
    note columns); rows still planned or held out are left alone. Excel's re-saved
    files are fine (.xlsx, UTF-8 with or without BOM, CP949, or Unicode Text). All rows
    or none: a bad row logs nothing, and every bad row is listed with its line number.

    \b
    Example:
      delight list --week 2026-W49 -o week.xlsx
      delight log import week.xlsx --by 지민
    """
    from planner.services import logbook

    options = logbook.LogOptions(by=by, at=at, rules_path=rules_path, encoding=encoding)
    report_rejected(lambda: logbook.import_log(app.engine(), file, options).describe())


@cli.command("week")
@week_option
@rules_option
@pass_app
def week_(app: App, week: str | None, rules_path: Path | None) -> None:
    """The week at a glance: planned, sent, skipped and failed per kind and writer, budget, what is open.

    \b
    Example:
      delight week --week 2026-W49
    """
    from planner.services import overview

    click.echo(overview.week_text(overview.week_summary(app.engine(), week, rules_path)))


@cli.group("customer")
def customer_group() -> None:
    """Customers' privacy: opt a customer out, or forget them.

    \b
    Example:
      delight customer optout C0000042
    """


@customer_group.command("optout")
@click.argument("customer")
@by_option()
@rules_option
@pass_app
def customer_optout(app: App, customer: str, by: str, rules_path: Path | None) -> None:
    """Never plan CUSTOMER again; their planned gestures this week and later are cancelled.

    CUSTOMER is the customer id as imported, their email or their name (any case).
    Re-importing never clears an opt-out.

    \b
    Example:
      delight customer optout C0000042 --by 지민
    """
    from planner.services import privacy

    click.echo(privacy.opt_out(app.engine(), customer, by, rules_path).describe())


@customer_group.command("forget")
@click.argument("customer")
@by_option()
@rules_option
@pass_app
def customer_forget(app: App, customer: str, by: str, rules_path: Path | None) -> None:
    """Erase CUSTOMER's personal data for good: name, contact details, address, birthday, words.

    Feedback texts and replies, messages and notes go too. The customer id, order and
    gesture counts stay (anonymous), so reports stay true and re-imports skip them.
    They are never planned again; planned gestures this week and later are cancelled.

    \b
    Example:
      delight customer forget C0000042 --by 지민
    """
    from planner.services import privacy

    click.echo(privacy.forget(app.engine(), customer, by, rules_path).describe())


@cli.command()
@click.option("--since", callback=parse_date, help="Only gestures from weeks whose Monday is on or after this date.")
@click.option(
    "--until", callback=parse_date, help="Last day counted (default: today); only windows ended by then count."
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write a PDF with charts."
)
@rules_option
@pass_app
def report(
    app: App,
    since: date | None,
    until: date | None,
    output_format: str,
    pdf_path: Path | None,
    rules_path: Path | None,
) -> None:
    """Did it work? Gestures and spend per week, and customers sent a gesture against the held-out ones.

    Compares how often customers bought again within 30, 60 and 90 days after the gesture's
    week (from the Monday after it), their revenue and later complaints, with a 95% confidence
    interval: overall, per rule and per kind. Groups that are too small or too young are named
    in plain words instead of given a misleading number (one sentence for a group too young for
    any window). Also shows spend against budget, each writer's load and feedback still waiting
    for a reply. With --pdf the report goes into the file, and only where it went is printed.

    \b
    Examples:
      delight report
      delight report --since 2026-06-01 --format json > outcomes.json
      delight report --pdf outcome-report.pdf
    """
    from planner.services import report as report_module

    options = report_module.ReportOptions(since=since, until=until, rules_path=rules_path, pdf=pdf_path)
    result = report_module.make_report(app.engine(), options)
    if result.pdf_path is None or output_format != "table":  # with --pdf, the table is in the file
        say(report_module.report_output(result, output_format))
    if result.pdf_path is not None:
        from planner.terminal import plural

        click.echo(f"Wrote {result.pdf_path} ({plural(result.pdf_pages, 'page')}).", err=output_format != "table")


@cli.group("import")
def import_group() -> None:
    """Bring in a shop's customers, orders and feedback: Shopify and SmartStore exports, any CSV or .xlsx.

    Re-importing a file changes nothing; a newer export updates changed rows and adds
    new ones. A bad row stops the whole import (nothing is written) unless --skip-bad
    sets it aside. Erased customers stay erased; opt-outs stay opted out.

    \b
    Example:
      delight import customers customers_export.csv
      delight import orders orders_export.csv --dry-run
    """


@import_group.command("customers")
@import_options
@pass_app
def import_customers(app: App, file: Path, **options: object) -> None:
    """Import customers from a Shopify customers export, or any CSV or .xlsx table.

    Fields for --map: customer_id, name, first_name, last_name, email, phone, language,
    birthday, address1, address2, city, region, postal_code, country, do_not_contact.
    A customer without customer_id is known by their email, lower-cased.

    \b
    Example:
      delight import customers 고객목록.csv --map '고객번호=customer_id' --map '고객명=name'
    """
    run_import(app, "customers", file, **options)


@import_group.command("orders")
@import_options
@pass_app
def import_orders(app: App, file: Path, **options: object) -> None:
    """Import orders from a Shopify or Naver SmartStore export, or any CSV or .xlsx table.

    Fields for --map: order_id, customer_id, email, name, placed_at, total, currency,
    status, item_name, item_sku, quantity, unit_price. Customers not yet known are
    created. Without order_id (a bare transaction list) each row is one order.
    SmartStore's order download (.xlsx, or CSV re-saved from Excel) needs no mapping.

    \b
    Examples:
      delight import orders 스마트스토어_주문.xlsx
      delight import orders 주문내역.csv --mapping shop.toml --skip-bad bad-rows.csv
    """
    run_import(app, "orders", file, **options)


@import_group.command("feedback")
@import_options
@pass_app
def import_feedback(app: App, file: Path, **options: object) -> None:
    """Import reviews, complaints, surveys and requests from a CSV or .xlsx table.

    Fields for --map: feedback_id, customer_id, order_id, kind, rating, text,
    received_at. Each row's customer (and order, if given) must already be imported.

    \b
    Example:
      delight import feedback reviews.csv --map '작성일=received_at' --map '평점=rating'
    """
    run_import(app, "feedback", file, **options)


@cli.group("user")
def user_group() -> None:
    """The people who sign in to the desk (`delight serve`): managers and writers.

    A person's name is the `by` of everything they log or reply to at the desk. Writers see
    and log the week; managers also plan, set the budget, reply to feedback and read the report.

    \b
    Example:
      delight user add 민지 --role manager
    """


def _new_password(password_stdin: bool) -> str:
    """The password from one line of stdin, or asked twice on the terminal (never echoed)."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.UsageError("no terminal to ask for the password: pipe it in with --password-stdin")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin (for scripts)."
)


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["manager", "writer"]), required=True, help="What they may do.")
@click.option("--language", type=click.Choice(["ko", "en"]), help="The desk's language for them (default: browser's).")
@password_stdin_option
@by_option(what="added them")
@pass_app
def user_add(app: App, name: str, role: str, language: str | None, password_stdin: bool, by: str) -> None:
    """Let NAME sign in to the desk as a manager or a writer; the password is asked on the terminal.

    Use the name the rules file gives a writer (`[writers."민지"]`), so that their stack is theirs.

    \b
    Examples:
      delight user add 민지 --role writer
      printf '%s\\n' "$PASSWORD" | delight user add Tom --role manager --password-stdin
    """
    from planner.services import accounts

    account = accounts.add_user(app.engine(), name, role, _new_password(password_stdin), by, language)
    click.echo(f"Added {account.name} ({account.role}): they can sign in to `delight serve` now.")


@user_group.command("list")
@pass_app
def user_list(app: App) -> None:
    """Everyone who may sign in to the desk: role, language, disabled or locked, API tokens.

    \b
    Example:
      delight user list
    """
    from planner.services import accounts
    from planner.terminal import table

    users = accounts.list_users(app.engine())
    if not users:
        click.echo("No users yet: add one with `delight user add NAME --role manager`.")
        return
    rows = [
        [
            user.name,
            user.role,
            user.language or "browser",
            "disabled" if user.disabled else "locked" if user.locked_until else "active",
            user.tokens,
        ]
        for user in users
    ]
    click.echo(table(["name", "role", "language", "status", "API tokens"], rows))


@user_group.command("disable")
@click.argument("name")
@by_option(what="disabled them")
@pass_app
def user_disable(app: App, name: str, by: str) -> None:
    """Stop NAME signing in; their open sessions and API tokens stop working at once.

    What they logged stays, with their name. `delight user enable` lets them back in.

    \b
    Example:
      delight user disable 민지
    """
    from planner.services import accounts

    click.echo(f"Disabled {accounts.set_disabled(app.engine(), name, True, by).name}.")


@user_group.command("enable")
@click.argument("name")
@by_option(what="enabled them")
@pass_app
def user_enable(app: App, name: str, by: str) -> None:
    """Let a disabled NAME sign in again (with the password they had).

    \b
    Example:
      delight user enable 민지
    """
    from planner.services import accounts

    click.echo(f"Enabled {accounts.set_disabled(app.engine(), name, False, by).name}.")


@user_group.command("passwd")
@click.argument("name")
@password_stdin_option
@by_option(what="set the password")
@pass_app
def user_passwd(app: App, name: str, password_stdin: bool, by: str) -> None:
    """Give NAME a new password: it unlocks a locked account and signs out their other sessions.

    \b
    Example:
      delight user passwd 민지
    """
    from planner.services import accounts

    account = accounts.set_password(app.engine(), name, _new_password(password_stdin), by)
    click.echo(f"New password for {account.name}; their other sessions are signed out.")


@user_group.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. the script that uses it.")
@click.option("--revoke", is_flag=True, help="Instead: revoke every API token NAME has.")
@by_option(what="made or revoked the token")
@pass_app
def user_token(app: App, name: str, label: str, revoke: bool, by: str) -> None:
    """A personal API token for NAME's scripts (the desk's JSON API); shown once, keep it secret.

    Scripts send it as `Authorization: Bearer TOKEN`; it may do what NAME may do. The API is
    described at /api/docs on the desk.

    \b
    Examples:
      delight user token 민지 --label "nightly export"
      delight user token 민지 --revoke
    """
    from planner.services import accounts

    if revoke:
        click.echo(f"Revoked {accounts.revoke_tokens(app.engine(), name, by)} API tokens of {name}.")
        return
    click.echo(accounts.new_token(app.engine(), name, label, by))
    click.echo("Shown once: only a digest of it is kept. Scripts send it as `Authorization: Bearer TOKEN`.", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--secure-cookies", is_flag=True, help="Send the session cookie over HTTPS only (behind a reverse proxy)."
)
@click.option("--access-log", is_flag=True, help="Print a line for every request answered.")
@rules_option
@pass_app
def serve(app: App, host: str, port: int, secure_cookies: bool, access_log: bool, rules_path: Path | None) -> None:
    """The desk: the weekly loop in a browser, for the whole team, on this store.

    Sign in (`delight user add` first), work through the week, print a writer's stack, plan,
    reply to feedback and read the report. It listens on 127.0.0.1 only unless --host says
    otherwise; anywhere else it must sit behind HTTPS (a reverse proxy), and its session cookie
    is then sent over HTTPS only. A team shares one PostgreSQL store: see the README.

    \b
    Examples:
      delight serve
      delight --db postgresql://ops@db.internal/delight serve --port 8080 --secure-cookies
    """
    from planner.desk import server

    options = server.ServeOptions(host, port, secure_cookies, rules_path, access_log)
    server.serve(app.engine(), options, say=click.echo)


def main() -> None:
    """Entry point of the ``delight`` console script."""
    cli(prog_name="delight")
