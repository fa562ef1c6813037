"""``delight demo``: a fresh demo shop, seeded and prepared, in a folder of its own."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from db import schema
from db.engine import database_url, make_engine, transaction
from db.seed import SeedOptions, SeedSummary, seed_database
from planner.core.errors import InputError
from planner.core.rules import default_rules_text
from planner.files.output_files import database_files, write_output_file
from planner.services import accounts, planning, printing
from planner.terminal import plural, table
from printouts import PrintResult

DEMO_DB = "delight.db"
RULES_FILE = "delight-rules.toml"
DEMO_SHOP = "마루 잡화점 Maru Goods"
DEMO_MANAGER = "demo"


@dataclass(frozen=True)
class DemoSummary:
    """What ``make_demo`` made, and where."""

    directory: Path
    database: Path
    rules: Path
    seeded: SeedSummary
    plan: planning.PlanResult
    printed: list[tuple[str, PrintResult]]
    password: str  # of the demo manager, for the desk


def make_demo(
    directory: Path,
    *,
    force: bool = False,
    customers: int = 2000,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Create ``directory`` with a seeded demo database; refuses to overwrite without ``force``.

    With ``force``, only a folder an earlier demo made (it carries the demo's mark) is replaced,
    and only the files that demo wrote are removed: anything else in it stays.
    """
    _clear_folder(directory, force)
    database = directory / DEMO_DB
    rules = directory / RULES_FILE
    mark = _Mark(directory)
    mark.add(*database_files(database), rules)
    write_output_file(rules, "text", _demo_rules().encode("utf-8"))
    engine = make_engine(database_url(str(database)))
    try:
        schema.upgrade(engine)
        options = SeedOptions(customers=customers, locale="mixed", seed=seed, today=today or date.today())
        with transaction(engine, write=True) as session:
            seeded = seed_database(session.connection(), options, progress)
        plan = planning.plan_week(engine, planning.PlanOptions(rules_path=rules, seed=seed))
        print_options = printing.PrintOptions(week=plan.week, rules_path=rules, guide=True)
        kinds = {g.kind for g in plan.gestures if g.status == "planned"}
        printed = []
        # A tiny demo may plan nothing to post: print only what the week has.
        if kinds & set(printing.physical_kinds(plan.rules)):
            printed.append(
                ("note cards", printing.print_cards(engine, _into(directory, print_options, "cards", plan.week)))
            )
            envelopes = printing.print_envelopes(engine, _into(directory, print_options, "envelopes", plan.week))
            labels, packing = printing.print_labels(engine, _into(directory, print_options, "labels", plan.week))
            printed += [("envelopes", envelopes), ("address labels", labels)]
            if packing is not None:
                printed.append(("packing list", packing))
        if kinds:
            briefs = printing.print_briefs(engine, _into(directory, print_options, "briefs", plan.week))
            printed.append(("writer's brief and call sheets", briefs))
        password = secrets.token_urlsafe(9)
        accounts.add_user(engine, DEMO_MANAGER, "manager", password, by="delight demo")
    finally:
        engine.dispose()
    return DemoSummary(directory, database, rules, seeded, plan, printed, password)


def _demo_rules() -> str:
    """The default rules with the demo shop's name and return address filled in."""
    text = default_rules_text().replace('# shop_name = "Haneul Tea House"', f'shop_name = "{DEMO_SHOP}"')
    start = text.index("# [return_address]")
    end = text.index("\n\n", start)
    address = text[start:end].replace("# ", "").replace("하늘 찻집", DEMO_SHOP.split(" Maru")[0])
    return text[:start] + address + text[end:]


def _into(directory: Path, options: printing.PrintOptions, stem: str, week: str) -> printing.PrintOptions:
    output = directory / f"{stem}-{week}.pdf"
    mark = _Mark(directory)
    mark.add(output)
    if stem == "labels":
        mark.add(output.with_name(f"{output.stem}-packing-list.pdf"))
    return replace(options, output=output)


DEMO_MARK = ".delight-demo"
_MARK_HEADER = "# Made by `delight demo`. `delight demo --force` replaces this folder, removing only these files:\n"


class _Mark:
    """The file that marks a folder as a demo delight made, and lists each file the demo wrote."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / DEMO_MARK

    def names(self) -> list[str]:
        """The plain file names listed (anything else in the mark is ignored)."""
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [name for name in lines if name and not name.startswith("#") and _plain_name(name)]

    def add(self, *files: Path) -> None:
        known = self.names() if self.path.exists() else []
        names = known + [file.name for file in files if file.name not in known]
        write_output_file(self.path, "text", (_MARK_HEADER + "".join(f"{name}\n" for name in names)).encode("utf-8"))


def _plain_name(name: str) -> bool:
    return name not in (".", "..", DEMO_MARK) and "/" not in name and "\\" not in name and "\0" not in name


def _clear_folder(directory: Path, force: bool) -> None:
    """Make sure ``directory`` is a folder to write a demo in: new, empty, or (``force``) a demo's."""
    try:
        if directory.exists() and not directory.is_dir():
            raise InputError(f"{directory} is not a folder: choose another --dir")
        entries = list(directory.iterdir()) if directory.exists() else []
        if entries:
            mark = _Mark(directory)
            if not force:
                raise InputError(f"{directory} already exists: use --force to replace it, or --dir NEW")
            if not mark.path.is_file():
                raise InputError(
                    f"{directory} is not a delight demo folder: refusing to replace it "
                    f"(--force replaces only a folder `delight demo` made; choose a new --dir)"
                )
            for name in mark.names():
                (directory / name).unlink(missing_ok=True)
            mark.path.unlink()
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make the demo in {directory}: {exc.strerror or exc}") from None


def describe(summary: DemoSummary) -> str:
    """A short, friendly account of what the demo made, and what to try next."""
    seeded, plan = summary.seeded, summary.plan
    planned = plan.gestures
    kinds = Counter(g.kind for g in planned)
    lines = [
        f"Demo shop ready in {summary.directory}/",
        f"  {plural(seeded.customers, 'customer')}, {plural(seeded.orders, 'order')}, "
        f"{seeded.feedback:,} reviews and messages",
        f"  planned {plural(len(planned), 'gesture')} for {plan.week}: "
        + ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in kinds.most_common())
        + f"; {plan.held_out:,} held out as the control group",
    ]
    lines += [f"  {what}: {result.path} ({plural(result.pages, 'page')})" for what, result in summary.printed]
    examples = list({g.kind: g for g in reversed(planned)}.values())  # the first gesture of each kind
    if examples:
        lines += ["", "A few of this week's gestures:"]
        rows = [[g.customer_name, g.kind, g.reason] for g in examples]
        lines += ["  " + line for line in table(["customer", "kind", "why"], rows, max_width=70).splitlines()]
    someone = examples[0].customer_id if examples else "C0000042"
    lines += [
        "",
        "Try next:",
        f"  cd {summary.directory}",
        "  delight list                 # the week's gestures and why",
        f"  delight explain {someone}     # why a customer was (not) chosen",
        "  delight rules show           # the rules, with comments",
        "",
        "The same week in a browser, for the whole team (the desk):",
        f"  cd {summary.directory} && delight serve",
        f"  then open http://127.0.0.1:8000/ and sign in as {DEMO_MANAGER}, password {summary.password}",
    ]
    return "\n".join(lines)
