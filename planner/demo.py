"""``delight demo``: a fresh demo shop, seeded and prepared, in a folder of its own."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from db import schema
from db.engine import database_url, make_engine, transaction
from db.seed import SeedOptions, SeedSummary, seed_database
from planner import prepare, weekly
from planner.errors import InputError
from planner.output import table
from planner.rules import default_rules_text
from planner.views import plural
from printouts import PrintResult

DEMO_DB = "delight.db"
RULES_FILE = "delight-rules.toml"
DEMO_SHOP = "마루 잡화점 Maru Goods"


@dataclass(frozen=True)
class DemoSummary:
    """What ``make_demo`` made, and where."""

    directory: Path
    database: Path
    rules: Path
    seeded: SeedSummary
    plan: weekly.PlanResult
    printed: list[tuple[str, PrintResult]]


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
    rules = directory / RULES_FILE
    rules.write_text(_demo_rules(), encoding="utf-8")
    engine = make_engine(database_url(str(database)))
    try:
        schema.upgrade(engine)
        options = SeedOptions(customers=customers, locale="mixed", seed=seed, today=today or date.today())
        with transaction(engine) as session:
            seeded = seed_database(session.connection(), options, progress)
        plan = weekly.plan_week(engine, weekly.PlanOptions(rules_path=rules, seed=seed))
        printing = prepare.PrintOptions(week=plan.week, rules_path=rules, guide=True)
        kinds = {g.kind for g in plan.gestures if g.status == "planned"}
        printed = []
        # A tiny demo may plan nothing to post: print only what the week has.
        if kinds & set(prepare.physical_kinds(plan.rules)):
            printed.append(("note cards", prepare.print_cards(engine, _into(directory, printing, "cards", plan.week))))
            envelopes = prepare.print_envelopes(engine, _into(directory, printing, "envelopes", plan.week))
            labels, packing = prepare.print_labels(engine, _into(directory, printing, "labels", plan.week))
            printed += [("envelopes", envelopes), ("address labels", labels)]
            if packing is not None:
                printed.append(("packing list", packing))
        if kinds:
            briefs = prepare.print_briefs(engine, _into(directory, printing, "briefs", plan.week))
            printed.append(("writer's brief and call sheets", briefs))
    finally:
        engine.dispose()
    return DemoSummary(directory, database, rules, seeded, plan, printed)


def _demo_rules() -> str:
    """The default rules with the demo shop's name and return address filled in."""
    text = default_rules_text().replace('# shop_name = "Haneul Tea House"', f'shop_name = "{DEMO_SHOP}"')
    start = text.index("# [return_address]")
    end = text.index("\n\n", start)
    address = text[start:end].replace("# ", "").replace("하늘 찻집", DEMO_SHOP.split(" Maru")[0])
    return text[:start] + address + text[end:]


def _into(directory: Path, options: prepare.PrintOptions, stem: str, week: str) -> prepare.PrintOptions:
    return replace(options, output=directory / f"{stem}-{week}.pdf")


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
    ]
    return "\n".join(lines)
