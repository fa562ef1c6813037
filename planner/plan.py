"""The planner: a pure function from facts, rules, history and a seed to a week's plan.

No I/O happens here; ``planner.weekly`` loads the inputs and stores the result. Every
customer a rule matched gets a ``Decision`` that says what happened to them and why.

The order of work:
1. Per customer: rules are evaluated (highest priority first). A customer is removed by
   the first constraint that stops them (do-not-contact, erased, already this week,
   open complaint, cooldown, max per year, no postal address, same kind as last time,
   no fresh words); a rule whose gesture a constraint blocks falls back to the next rule.
2. Holdout: ``holdout_percent`` of matched customers, by a stable hash of the customer,
   are held out as the control group (status ``held_out``; no budget, no capacity).
3. Selection: candidates are drawn by priority-weighted random sampling (seeded;
   Efraimidis-Spirakis keys ``u ** (1 / priority)``), recovery first. Each takes the first
   of their gestures that fits the per-kind capacity, the budget and a writer's capacity.
4. Wildcards: ``wildcards`` random eligible customers no rule matched get the cheapest
   kind that still fits.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from planner.facts import PastGesture, Profile
from planner.rules import GestureKind, Rule, RuleSet
from planner.templates import Template, TemplateLibrary

PLANNED = "planned"
HELD_OUT = "held_out"
REMOVED = "removed"
WILDCARD_RULE = "wildcard"

# Constraint names, as counted in a plan's summary and shown by `delight explain`.
DO_NOT_CONTACT = "do-not-contact"
ERASED = "erased"
THIS_WEEK = "already has a gesture this week"
OPEN_COMPLAINT = "open complaint: recovery only"
COOLDOWN = "cooldown"
MAX_PER_YEAR = "max per year"
NO_ADDRESS = "no postal address"
SAME_KIND = "same kind as last time"
NO_FRESH_WORDS = "no fresh words"
CAPACITY = "capacity"
BUDGET = "budget"
NO_WRITER = "no writer free"
HOLDOUT = "held out (control group)"


@dataclass(frozen=True)
class PlanRequest:
    """Everything the planner needs, already loaded."""

    week: str
    as_of: date
    seed: int
    rules: RuleSet
    budget: Decimal
    profiles: Sequence[Profile]
    history: Mapping[int, Sequence[PastGesture]]
    templates: TemplateLibrary
    spent_this_week: Decimal = Decimal(0)
    used_this_week: Mapping[str, int] = field(default_factory=dict)
    writer_load_this_week: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedGesture:
    """A gesture the plan makes (planned) or holds back (held_out)."""

    customer_id: int
    kind: str
    rule: str
    reason: str
    status: str
    cost: Decimal
    writer: str | None = None
    template: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Decision:
    """What happened to one customer a rule matched (or a wildcard)."""

    customer_id: int
    matched: tuple[str, ...]
    outcome: str
    constraint: str | None = None
    detail: str = ""


@dataclass
class Plan:
    """A week's plan: the gestures, every matched customer's decision, and the totals."""

    week: str
    seed: int
    budget: Decimal
    gestures: list[PlannedGesture] = field(default_factory=list)
    decisions: dict[int, Decision] = field(default_factory=dict)
    removed: Counter[str] = field(default_factory=Counter)
    spent: Decimal = Decimal(0)
    used: Counter[str] = field(default_factory=Counter)
    writer_load: Counter[str] = field(default_factory=Counter)
    matched_customers: int = 0


def in_holdout(customer_id: int, percent: int) -> bool:
    """The stable control-group draw: the same customer is always in or out, whatever the week or seed."""
    digest = hashlib.blake2b(f"delight-holdout:{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 < percent * 100


def template_values(profile: Profile) -> dict[str, str | None]:
    """What template placeholders can be filled with for this customer."""
    facts = profile.facts
    items = facts.get("last_order_items") or ()
    days = facts.get("days_since_first_order")
    years = days // 365 if isinstance(days, int) else 0
    return {
        "first_name": profile.first_name or None,
        "last_item": items[0] if items else None,
        "years": str(years) if years >= 1 else None,
    }


class _Planner:
    """One planning run; holds the running totals while it walks the customers."""

    def __init__(self, request: PlanRequest) -> None:
        self.request = request
        self.rules = request.rules
        self.rng = random.Random(request.seed)
        self.plan = Plan(week=request.week, seed=request.seed, budget=request.budget)
        self.plan.spent = request.spent_this_week
        self.plan.used.update(request.used_this_week)
        self.plan.writer_load.update(request.writer_load_this_week)
        self.batch_template_use: Counter[str] = Counter()
        self.ordered_rules = sorted(self.rules.rules, key=lambda rule: -rule.priority)

    # -- step 1: who may get what ------------------------------------------------------------

    def customer_block(self, profile: Profile) -> str | None:
        """A constraint that stops any gesture to this customer this week."""
        if profile.erased:
            return ERASED
        if profile.do_not_contact:
            return DO_NOT_CONTACT
        if any(g.week == self.request.week for g in self.request.history.get(profile.customer_id, ())):
            return THIS_WEEK
        return None

    def kind_block(self, profile: Profile, kind: GestureKind) -> tuple[str, str] | None:
        """A constraint that stops this kind of gesture to this customer, with the detail."""
        facts = profile.facts
        if facts["has_open_complaint"] and not kind.recovery:
            return OPEN_COMPLAINT, "an open complaint comes first: only a recovery gesture"
        past = [g for g in self.request.history.get(profile.customer_id, ()) if g.status in ("sent", PLANNED)]
        if not kind.recovery:
            days = _days_since_latest(past, self.request.as_of)
            if days is not None and days < self.rules.cooldown_days:
                return COOLDOWN, f"last gesture {days} days ago (cooldown {self.rules.cooldown_days} days)"
            year = [g for g in past if (d := _day_of(g)) is not None and (self.request.as_of - d).days < 365]
            if len(year) >= self.rules.max_per_year:
                return MAX_PER_YEAR, f"{len(year)} gestures in the last 365 days (max {self.rules.max_per_year})"
        if kind.physical and not profile.has_address:
            return NO_ADDRESS, f"{kind.name} needs a postal address"
        latest = max(past, key=lambda g: (_day_of(g) or date.min, g.week), default=None)
        if latest is not None and latest.kind == kind.name:
            return SAME_KIND, f"their last gesture was also a {kind.name}"
        if self.pick_template(profile, kind.name, dry_run=True) is None:
            return NO_FRESH_WORDS, f"every {kind.name} wording in {profile.language} was used for them before"
        return None

    def pick_template(self, profile: Profile, kind: str, *, dry_run: bool = False) -> Template | None:
        """Fresh words: a variant that fits, never used for this customer, least used in this batch."""
        used = {g.template for g in self.request.history.get(profile.customer_id, ()) if g.template}
        values = template_values(profile)
        fresh = [
            t for t in self.request.templates.variants(kind, profile.language) if t.id not in used and t.fits(values)
        ]
        if not fresh or dry_run:
            return fresh[0] if fresh else None
        fewest = min(self.batch_template_use[t.id] for t in fresh)
        choice = self.rng.choice([t for t in fresh if self.batch_template_use[t.id] == fewest])
        self.batch_template_use[choice.id] += 1
        return choice

    # -- step 3: fitting within capacity and budget ------------------------------------------

    def fits(self, profile: Profile, kind: GestureKind) -> tuple[str | None, str | None]:
        """(constraint, writer): a constraint name if this gesture does not fit, else the writer to assign."""
        if self.plan.used[kind.name] >= kind.capacity:
            return f"{CAPACITY}: {kind.name}", None
        if self.plan.spent + kind.cost > self.plan.budget:
            return BUDGET, None
        if not (kind.physical and self.rules.writers):
            return None, None
        free = [
            writer
            for writer in self.rules.writers
            if profile.language in writer.languages and self.plan.writer_load[writer.name] < writer.capacity
        ]
        if not free:
            return NO_WRITER, None
        writer = max(free, key=lambda w: (w.capacity - self.plan.writer_load[w.name], w.name))
        return None, writer.name

    def take(self, profile: Profile, kind: GestureKind, rule: str, reason: str, writer: str | None) -> None:
        template = self.pick_template(profile, kind.name)
        assert template is not None  # kind_block checked there are fresh words
        self.plan.used[kind.name] += 1
        self.plan.spent += kind.cost
        if writer:
            self.plan.writer_load[writer] += 1
        self.plan.gestures.append(
            PlannedGesture(
                customer_id=profile.customer_id,
                kind=kind.name,
                rule=rule,
                reason=reason,
                status=PLANNED,
                cost=kind.cost,
                writer=writer,
                template=template.id,
                message=template.render(template_values(profile)),
            )
        )

    def remove(self, profile: Profile, matched: tuple[str, ...], constraint: str, detail: str) -> None:
        self.plan.removed[constraint] += 1
        self.plan.decisions[profile.customer_id] = Decision(profile.customer_id, matched, REMOVED, constraint, detail)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Plan:
        candidates: list[tuple[Profile, tuple[str, ...], list[tuple[Rule, GestureKind]]]] = []
        wildcard_pool: list[Profile] = []
        gestures = self.rules.gestures
        for profile in self.request.profiles:
            matched_rules = [rule for rule in self.ordered_rules if rule.matches(profile.facts)]
            block = self.customer_block(profile)
            if not matched_rules:
                if block is None and not profile.facts["has_open_complaint"]:
                    wildcard_pool.append(profile)
                continue
            self.plan.matched_customers += 1
            matched = tuple(rule.name for rule in matched_rules)
            if block is not None:
                self.remove(profile, matched, block, block)
                continue
            options, first_block = [], None
            for rule in matched_rules:
                kind = gestures[rule.gesture]
                blocked = self.kind_block(profile, kind)
                if blocked is None:
                    options.append((rule, kind))
                elif first_block is None:
                    first_block = blocked
            if not options:
                assert first_block is not None
                self.remove(profile, matched, *first_block)
                continue
            if in_holdout(profile.customer_id, self.rules.holdout_percent):
                rule, kind = options[0]
                self.plan.removed[HOLDOUT] += 1
                self.plan.gestures.append(
                    PlannedGesture(
                        profile.customer_id, kind.name, rule.name, self.reason(rule, profile), HELD_OUT, Decimal(0)
                    )
                )
                self.plan.decisions[profile.customer_id] = Decision(
                    profile.customer_id, matched, HELD_OUT, HOLDOUT, "in the control group: nothing is sent"
                )
                continue
            candidates.append((profile, matched, options))
        for profile, matched, options in self.draw_order(candidates):
            self.place(profile, matched, options)
        self.add_wildcards(wildcard_pool)
        return self.plan

    def draw_order(self, candidates: list) -> list:
        """Recovery first, then priority-weighted random order: higher priority tends to come first."""
        keyed = []
        for candidate in candidates:
            rule, kind = candidate[2][0]
            weight = max(rule.priority, 1)
            keyed.append((not kind.recovery, -(self.rng.random() ** (1 / weight)), candidate[0].customer_id, candidate))
        keyed.sort(key=lambda entry: entry[:3])
        return [entry[3] for entry in keyed]

    def place(self, profile: Profile, matched: tuple[str, ...], options: list[tuple[Rule, GestureKind]]) -> None:
        last_constraint = ""
        for rule, kind in options:
            constraint, writer = self.fits(profile, kind)
            if constraint is None:
                self.take(profile, kind, rule.name, self.reason(rule, profile), writer)
                self.plan.decisions[profile.customer_id] = Decision(profile.customer_id, matched, PLANNED)
                return
            last_constraint = constraint
        self.remove(profile, matched, last_constraint, f"{last_constraint} reached before their turn in the draw")

    def add_wildcards(self, pool: list[Profile]) -> None:
        wanted = self.rules.wildcards
        kinds = sorted(
            (kind for kind in self.rules.gestures.values() if not kind.recovery), key=lambda k: (k.cost, k.name)
        )
        order = list(range(len(pool)))
        self.rng.shuffle(order)
        for index in order:
            if wanted <= 0:
                return
            profile = pool[index]
            for kind in kinds:
                if self.kind_block(profile, kind) is not None:
                    continue
                constraint, writer = self.fits(profile, kind)
                if constraint is None:
                    reason = f"A wildcard: a surprise {kind.name.replace('_', ' ')} for someone no rule picked"
                    self.take(profile, kind, WILDCARD_RULE, reason, writer)
                    self.plan.decisions[profile.customer_id] = Decision(profile.customer_id, (), PLANNED)
                    wanted -= 1
                    break

    def reason(self, rule: Rule, profile: Profile) -> str:
        return rule.explain({**profile.facts, "first_name": profile.first_name or profile.name or "They"})


def make_plan(request: PlanRequest) -> Plan:
    """Plan a week. The same request (facts, rules, history, seed) always gives the same plan."""
    return _Planner(request).run()


def _day_of(gesture: PastGesture) -> date | None:
    """When a gesture happened: the day it was sent, or the Monday of the week it is planned for."""
    if gesture.sent_on is not None:
        return gesture.sent_on
    year, number = (int(part) for part in gesture.week.split("-W"))
    return date.fromisocalendar(year, number, 1)


def _days_since_latest(gestures: Sequence[PastGesture], as_of: date) -> int | None:
    days = [(as_of - day).days for g in gestures if (day := _day_of(g)) is not None]
    return min(days, key=abs) if days else None
