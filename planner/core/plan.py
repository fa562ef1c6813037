"""The planner: a pure function from facts, rules, history and a seed to a week's plan.

The planner does no I/O of its own; ``planner.services.planning`` loads the inputs and stores the result
(two lookups it hands over fetch, for the few customers concerned, what only they need: the
gifts they bought, once a gift may go to them, and the latest purchase's items, once the draw is
over and their words are chosen). Every customer a rule matched gets a ``Decision`` that says
what happened to them and why.

The order of work:
1. Every rule's condition (a polars expression, ``planner.core.conditions``) runs over the facts
   frame of every customer (``planner.core.facts_frame``); then, per customer
   some rule matched (rules highest priority first), a customer is removed by
   the first constraint that stops them (do-not-contact, erased, already this week,
   listening first, cooldown, max per year, no postal address, same kind as last time);
   a rule whose gesture a constraint blocks falls back to the next rule.
   Listening first (``planner.services.listening``): a customer owed a person gets a recovery
   gesture or nothing, even when no rule matched them (the built-in "listening first").
2. Holdout: ``holdout_percent`` of the customers who would get a delight gesture, by a
   stable hash of the customer, are held out as the control group (status ``held_out``; no
   budget, no capacity). Recovery is never an experiment: nobody owed a person is held out.
3. Selection: customers owed a person go first (retries, then whoever waited longest); then
   candidates take turns drawn by priority-weighted random sampling without replacement
   (seeded), recovery first. Each takes the first of their gestures that fits the per-kind
   capacity, the budget and a writer's capacity. Once nobody still waiting can get anything,
   the rest are removed together with the constraint that stops them; owed customers left
   over wait for next week.
4. Wildcards: ``wildcards`` random eligible customers no rule matched get the cheapest
   kind that still fits.
5. Words: each gesture gets the day it is for and a send-by date, then suggested words for
   its moment (ahead of the day, on it, belated) that the customer never had, that no other
   gesture in the writer's stack opens with, and whose opener is used at most
   ⌈gestures of that occasion and language ÷ variants⌉ times in the week; when none is left,
   the writer is asked to write their own opening.
"""

from __future__ import annotations

import functools
import math
import operator
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain, compress
from typing import NamedTuple

import polars as pl

from planner.core.facts import FACTS_BY_NAME, FactType, PastGesture, Profile
from planner.core.money import from_minor
from planner.core.rules import GestureKind, Gift, Rule, RuleSet
from planner.core.weeks import monday
from planner.services.listening import Listening
from planner.words import phrases
from planner.words.templates import Template, TemplateLibrary, occasion_word

PLANNED = "planned"
WILDCARD_POOL_PER_WILDCARD = 50
LOOKAHEAD = 256  # candidates taken from the draw at a time
HELD_OUT = "held_out"
REMOVED = "removed"
WILDCARD_RULE = "wildcard"
LISTENING_RULE = "listening first"  # the built-in rule for customers owed a person

# Constraint names, as counted in a plan's summary and shown by `delight explain`.
DO_NOT_CONTACT = "do-not-contact"
ERASED = "erased"
THIS_WEEK = "already has a gesture this week"
LISTENING = "listening first: recovery only"
COOLDOWN = "cooldown"
MAX_PER_YEAR = "max per year"
NO_ADDRESS = "no postal address"
SAME_KIND = "same kind as last time"
NO_RECOVERY_KIND = "no recovery kind in the rules"
CAPACITY = "capacity"
BUDGET = "budget"
NO_WRITER = "no writer free"
NO_GIFTS_LEFT = "no gifts left"
NO_GIFT_FOR_THEM = "no gift they have not had or bought"
HOLDOUT = "held out (control group)"


@dataclass(frozen=True)
class PlanRequest:
    """Everything the planner needs, already loaded."""

    week: str
    as_of: date
    seed: int
    rules: RuleSet
    budget: Decimal
    customers: pl.DataFrame | Sequence[Profile]  # everyone's facts (``planner.core.facts_frame``); or profiles
    history: Mapping[int, Sequence[PastGesture]]
    templates: TemplateLibrary
    spent_this_week: Decimal = Decimal(0)
    used_this_week: Mapping[str, int] = field(default_factory=dict)
    writer_load_this_week: Mapping[str, int] = field(default_factory=dict)
    # Openers (``Template.opener``) each customer had before, and the words already in this week.
    past_openers: Mapping[int, frozenset[str]] = field(default_factory=dict)
    words_this_week: Sequence[WordsUsed] = ()
    # Who must hear from a person first (``planner.services.listening.load_listening``), by customer id.
    listening: Mapping[int, Listening] = field(default_factory=dict)
    wildcards_this_week: int = 0  # already in the week's plan: a week gets ``wildcards`` in all
    # Gifts with a counted stock: how many are left to plan (``planner.services.gifts``); the rest never run out.
    gifts_left: Mapping[str, int] = field(default_factory=dict)
    # The catalogue's gifts each of these customers bought, looked up only for those a gift may go to.
    gifts_bought: Callable[[Sequence[int]], Mapping[int, frozenset[str]]] = lambda _customer_ids: {}
    # The latest purchase's items of the customers whose words are chosen, when the facts frame has
    # no ``last_order_items`` (only the rules' facts are worked out for everyone).
    last_items: Callable[[Sequence[int]], Mapping[int, tuple[str, ...]]] = lambda _customer_ids: {}


class WordsUsed(NamedTuple):
    """Suggested words a gesture of the week already has: whose stack, for which moment, which opener."""

    writer: str | None
    group: tuple[str, str, str | None, str | None]  # kind, language, occasion, timing
    opener: str


class PlannedGesture(NamedTuple):
    """A gesture the plan makes (planned) or holds back (held_out); a big shop's plan holds thousands."""

    customer_id: int
    kind: str
    rule: str
    reason: str
    status: str
    cost: Decimal
    writer: str | None = None
    template: str | None = None
    message: str | None = None
    opener: str | None = None
    for_day: date | None = None  # the birthday or anniversary it is for
    send_by: date | None = None
    feedback_id: int | None = None  # what the customer told us that it answers
    gift: str | None = None  # chosen from the kind's shelf
    occasion: str | None = None  # the rule's, for the words; not stored


class Decision(NamedTuple):
    """What happened to one customer a rule matched (or a wildcard)."""

    customer_id: int
    matched: tuple[str, ...]
    outcome: str
    constraint: str | None = None
    detail: str = ""


class Decisions(Mapping[int, Decision]):
    """Every matched customer's decision, by customer id.

    On a big shop most candidates are still waiting when the week fills up, and thousands are
    held out; their decisions (alike: the constraint reached before their turn, or the control
    group) are written out only if someone asks, such as `delight explain`, instead of for
    100,000 customers on every plan.
    """

    def __init__(self) -> None:
        self.made: dict[int, Decision] = {}
        self._later: list[Callable[[], dict[int, Decision]]] = []

    def add_later(self, decisions: Callable[[], dict[int, Decision]]) -> None:
        self._later.append(decisions)

    def __setitem__(self, customer_id: int, decision: Decision) -> None:
        self.made[customer_id] = decision

    def __getitem__(self, customer_id: int) -> Decision:
        found = self.made.get(customer_id)
        if found is None:
            return self._all()[customer_id]
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> dict[int, Decision]:
        while self._later:
            self.made.update(self._later.pop()())
        return self.made


@dataclass
class Plan:
    """A week's plan: the gestures, every matched customer's decision, and the totals."""

    week: str
    seed: int
    budget: Decimal
    gestures: list[PlannedGesture] = field(default_factory=list)
    decisions: Decisions = field(default_factory=Decisions)
    removed: Counter[str] = field(default_factory=Counter)
    spent: Decimal = Decimal(0)
    used: Counter[str] = field(default_factory=Counter)
    writer_load: Counter[str] = field(default_factory=Counter)
    matched_customers: int = 0
    waiting: list[Listening] = field(default_factory=list)  # owed a person, left for next week


class Customers:
    """The facts frame as the planner reads it: columns as Python values, each made once, in row
    order (money as Decimal in ``currency``); one customer as a ``Profile``.

    ``frame`` has a row per customer (``planner.core.facts_frame.facts_frame``): who they are, and the
    facts the rules, reasons and words need. Profiles given instead (tests) become such a frame.
    """

    def __init__(self, customers: pl.DataFrame | Sequence[Profile], currency: str) -> None:
        from planner.core.facts_frame import profiles_frame

        self.frame = customers if isinstance(customers, pl.DataFrame) else profiles_frame(customers, currency)
        self.currency = currency
        self.ids: list[int] = self.frame["customer_id"].to_list()
        self._columns: dict[str, list] = {}
        self._index: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> list:
        """One column for every customer."""
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = self._values(name, self.frame[name])
        return found

    def column_at(self, name: str, rows: Sequence[int]) -> list:
        """One column for the customers in ``rows`` only."""
        if name in self._columns:
            return [self._columns[name][row] for row in rows]
        return self._values(name, self.frame[name].gather(list(rows)))

    def value(self, name: str, row: int) -> object:
        """One customer's value of one column."""
        return self.column_at(name, (row,))[0]

    def greetings(self, rows: Sequence[int]) -> list[str | None]:
        """What a reason calls the customers in ``rows``: their first name, else their name (None: neither)."""
        return self.column_at("greeting", rows)

    def row_of(self, customer_id: int) -> int | None:
        if self._index is None:
            self._index = {customer_id: row for row, customer_id in enumerate(self.ids)}
        return self._index.get(customer_id)

    def profile(self, row: int) -> Profile:
        """The customer in ``row``, with every fact the frame holds."""
        values = self.frame.row(row, named=True)
        facts = {name: self._value(name, value) for name, value in values.items() if name in FACTS_BY_NAME}
        return Profile(
            values["customer_id"],
            values["external_id"],
            values["name"],
            values["first_name"],
            values["language"],
            values["do_not_contact"],
            values["erased"],
            values["has_address"],
            facts,
        )

    def _values(self, name: str, series: pl.Series) -> list:
        fact = FACTS_BY_NAME.get(name)
        if fact is not None and fact.type in (FactType.MONEY, FactType.TEXT_LIST):
            return [self._value(name, value) for value in series.to_list()]
        return series.to_list()

    def _value(self, name: str, value: object) -> object:
        fact = FACTS_BY_NAME.get(name)
        if value is None or fact is None:
            return value
        if fact.type == FactType.MONEY:
            return from_minor(value, self.currency)  # type: ignore[arg-type]
        if fact.type == FactType.TEXT_LIST:
            return tuple(value)  # type: ignore[arg-type]
        return value


def in_holdout(customer_id: int, percent: int) -> bool:
    """The stable control-group draw: the same customer is always in or out, whatever the week or seed."""
    return held_out_flags([customer_id], percent)[0]


def held_out_flags(customer_ids: Sequence[int], percent: int) -> list[bool]:
    """``in_holdout`` for many customers at once.

    Fibonacci hashing: the (salted) id times 2**64 divided by the golden ratio, modulo 2**64. Its
    top 32 bits spread any run of consecutive ids evenly over their range, so every stretch of
    customers, old or new, has close to its share held out; a customer is held out when those
    bits fall in the lowest ``percent``. One multiplication per id, a few times cheaper than a
    mixing hash, which counts at 100,000 matched customers.
    """
    limit = percent * 2**32 // 100
    return [((customer_id + _HOLDOUT_SALT) * _GOLDEN & _64_BITS) >> 32 < limit for customer_id in customer_ids]


# Fixed: changing either would move customers in or out of the control group.
_HOLDOUT_SALT = 0x5BD1E995
_GIFT_SALT = 0x6A09E667
_GOLDEN = 0x9E3779B97F4A7C15  # 2**64 divided by the golden ratio, odd
_64_BITS = 2**64 - 1


def template_values(profile: Profile, occasion: str | None = None) -> dict[str, str | None]:
    """What template placeholders can be filled with for this customer (and the rule's occasion)."""
    facts = profile.facts
    items = facts.get("last_order_items") or ()
    days = facts.get("days_since_first_order")
    years = days // 365 if isinstance(days, int) else 0
    return {
        "first_name": profile.first_name or None,
        "last_item": items[0] if items else None,
        "years": str(years) if years >= 1 else None,
        "occasion": occasion_word(occasion, profile.language),
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
        self.listening = request.listening
        self.owed = {customer_id for customer_id, listening in request.listening.items() if listening.owed}
        self.ordered_rules = self.listening_rules() + sorted(self.rules.rules, key=lambda rule: -rule.priority)
        self.past_cache: dict[int, _PastSummary | None] = {}
        self.by_mask: dict[int, tuple[list[Rule], tuple[str, ...]]] = {}
        self.shared: dict[int, _Options] = {}  # options by ``alike_keys``
        self.masks: list[int] = []  # by row: a bit for each (priority-ordered) rule that matched
        self.table = Customers(request.customers, self.rules.currency)
        self.erased, self.do_not_contact = self.table.column("erased"), self.table.column("do_not_contact")
        self.has_address, self.language = self.table.column("has_address"), self.table.column("language")
        # Recovery or nothing: an open complaint (as a fact, or found by ``load_listening``) or a low rating unanswered.
        self.restricted = [
            bool(complaint) or customer_id in request.listening
            for customer_id, complaint in zip(self.table.ids, self.table.column("has_open_complaint"), strict=True)
        ]
        self.row_of_gesture: list[int] = []  # the row of each gesture's customer, in ``plan.gestures`` order
        self.full = {name: f"{CAPACITY}: {name}" for name in self.rules.gestures}  # a kind's capacity constraint
        self.dead: dict[tuple, str] = {}
        self.blocked: dict[int, str] = {}  # kinds (and language) no customer can get any more, with why
        self.this_week = {
            customer_id
            for customer_id, gestures in request.history.items()
            if any(g.week == request.week for g in gestures)
        }
        # Gifts: a draw of their own, so a shelf never changes who else is drawn.
        self.gift_rng = random.Random(request.seed ^ _GIFT_SALT)
        self.gifts_left = dict(request.gifts_left)
        self.gift_uses = Counter(
            g.gift for gestures in request.history.values() for g in gestures if g.gift and g.week == request.week
        )
        self.bought: dict[int, frozenset[str]] = {}

    # -- step 1: who may get what ------------------------------------------------------------

    def listening_rules(self) -> list[Rule]:
        """The built-in "listening first" rule for each recovery kind: it matches every customer owed a person."""
        if not self.owed:
            return []
        top = max((rule.priority for rule in self.rules.rules), default=0) + 1
        return [
            Rule(
                name=LISTENING_RULE if number == 0 else f"{LISTENING_RULE} ({kind.name})",
                gesture=kind.name,
                when="",
                priority=top,
                reasons={},
            )
            for number, kind in enumerate(self.rules.recovery_kinds)
        ]

    def condition(self, rule: Rule) -> pl.Expr:
        """What a rule matches, over the facts frame: its compiled ``when``; for the built-in
        listening rules, every customer owed a person."""
        if not rule.when:
            return pl.col("customer_id").is_in(sorted(self.owed))
        return rule.condition(self.rules.currency).expression

    def past_gestures(self, customer_id: int) -> _PastSummary | None:
        """What counts from a customer's gestures sent or planned for other weeks; None if there are none."""
        if customer_id not in self.past_cache:
            past = [g for g in self.request.history.get(customer_id, ()) if g.status in ("sent", PLANNED)]
            self.past_cache[customer_id] = _summarise(past, self.request.as_of) if past else None
        return self.past_cache[customer_id]

    def kind_block(self, row: int, kind: GestureKind) -> tuple[str, str] | None:
        """A constraint that stops this kind of gesture to the customer in ``row``, with the detail."""
        if self.restricted[row] and not kind.recovery:
            return LISTENING, "owed a person first (a complaint, or a low rating nobody answered): recovery or nothing"
        customer_id = self.table.ids[row]
        past = self.past_gestures(customer_id) if customer_id in self.request.history else None
        if past is not None and not kind.recovery:
            if past.days_since_latest < self.rules.cooldown_days:
                days = past.days_since_latest
                return COOLDOWN, f"last gesture {days} days ago (cooldown {self.rules.cooldown_days} days)"
            if past.in_last_year >= self.rules.max_per_year:
                count = past.in_last_year
                return MAX_PER_YEAR, f"{count} gestures in the last 365 days (max {self.rules.max_per_year})"
        if kind.physical and not self.has_address[row]:
            return NO_ADDRESS, f"{kind.name} needs a postal address"
        if past is not None and past.latest_kind == kind.name and customer_id not in self.owed:
            return SAME_KIND, f"their last gesture was also a {kind.name}"
        return None

    # -- step 3: fitting within capacity and budget ------------------------------------------

    def fits(self, row: int, kind: GestureKind) -> tuple[str | None, str | None]:
        """(constraint, writer): a constraint name if this gesture does not fit, else the writer to assign."""
        if self.plan.used[kind.name] >= kind.capacity:
            return self.full[kind.name], None
        cost = kind.cost
        if kind.gifts:
            on_shelf = [gift.cost for gift in kind.gifts if self.gifts_left.get(gift.name, 1) > 0]
            if not on_shelf:
                return f"{NO_GIFTS_LEFT}: {kind.name}", None
            cost += min(on_shelf)
        if self.plan.spent + cost > self.plan.budget:
            return BUDGET, None
        if not (kind.physical and self.rules.writers):
            return None, None
        free = [
            writer
            for writer in self.rules.writers
            if self.language[row] in writer.languages and self.plan.writer_load[writer.name] < writer.capacity
        ]
        if not free:
            return NO_WRITER, None
        writer = max(free, key=lambda w: (w.capacity - self.plan.writer_load[w.name], w.name))
        return None, writer.name

    def gift_for(self, row: int, kind: GestureKind) -> Gift | None:
        """A gift from the kind's shelf for the customer in ``row``: in stock, within the budget left,
        never one they had or bought; the least given this week, drawn among equals."""
        customer_id = self.table.ids[row]
        bought = self.bought.get(customer_id)
        if bought is None:
            bought = self.bought[customer_id] = self.request.gifts_bought([customer_id]).get(customer_id, frozenset())
        had = {g.gift for g in self.request.history.get(customer_id, ()) if g.gift} | bought
        room = self.plan.budget - self.plan.spent - kind.cost
        fitting = [
            gift
            for gift in kind.gifts
            if gift.name not in had and gift.cost <= room and self.gifts_left.get(gift.name, 1) > 0
        ]
        if not fitting:
            return None
        fewest = min(self.gift_uses[gift.name] for gift in fitting)
        return self.gift_rng.choice([gift for gift in fitting if self.gift_uses[gift.name] == fewest])

    def take(
        self, row: int, kind: GestureKind, rule: Rule | None, reason: str, writer: str | None, gift: Gift | None
    ) -> None:
        """Place a gesture (its words come later, once the week's gestures are known)."""
        self.plan.used[kind.name] += 1
        cost = kind.cost
        if gift is not None:
            cost += gift.cost
            self.gift_uses[gift.name] += 1
            if gift.name in self.gifts_left:
                self.gifts_left[gift.name] -= 1
        self.plan.spent += cost
        if writer:
            self.plan.writer_load[writer] += 1
        customer_id = self.table.ids[row]
        listening = self.listening.get(customer_id)
        occasion = rule.occasion if rule is not None else None
        for_day, send_by = self.moment(row, kind, occasion)
        self.plan.gestures.append(
            PlannedGesture(
                customer_id=customer_id,
                kind=kind.name,
                rule=rule.name if rule is not None else WILDCARD_RULE,
                reason=reason,
                status=PLANNED,
                cost=cost,
                writer=writer,
                for_day=for_day,
                send_by=send_by,
                feedback_id=listening.feedback_id if listening is not None and kind.recovery else None,
                gift=gift.name if gift is not None else None,
                occasion=occasion,
            )
        )
        self.row_of_gesture.append(row)

    def moment(self, row: int, kind: GestureKind, occasion: str | None) -> tuple[date | None, date]:
        """The day a gesture is for (a birthday or anniversary; else none) and the day to send it by.

        A card is sent ``posting_days`` before its day so that it arrives in time, posted by the
        week's Friday at the latest; a message is sent on the day when the day falls in the week.
        A recovery is due within ``reply_within_days``; anything else by Friday.
        """
        first, friday, sunday = _week_days(self.request.week, self.request.as_of)
        if kind.recovery:
            return None, min(first + timedelta(days=self.rules.reply_within_days), friday)
        fact = _DAY_FACTS.get(occasion or "")
        days = self.table.value(fact, row) if fact else None
        if not isinstance(days, int):
            return None, friday
        for_day = self.request.as_of + timedelta(days=days)
        latest = friday if kind.physical else sunday
        return for_day, min(max(for_day - timedelta(days=kind.posting_days), first), latest)

    def remove(self, customer_id: int, matched: tuple[str, ...], constraint: str, detail: str) -> None:
        self.plan.removed[constraint] += 1
        self.plan.decisions[customer_id] = Decision(customer_id, matched, REMOVED, constraint, detail)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Plan:
        table = self.table
        # Each rule's condition runs over the whole frame at once; then only the customers some
        # rule matched are visited, in row order. Customers who matched the same rules share one
        # (rules, names) pair, and those without past gestures share their options too, since
        # only two flags of theirs can change them.
        masks = [0] * len(table)
        matched_by_rule = table.frame.select(
            [self.condition(rule).arg_true().implode().alias(str(bit)) for bit, rule in enumerate(self.ordered_rules)]
        )
        for bit, rows in enumerate(matched_by_rule.row(0)):
            flag = 1 << bit
            for row in rows:
                masks[row] |= flag
        self.masks = masks
        matched_rows = list(compress(range(len(table)), masks))
        self.plan.matched_customers = len(matched_rows)
        blocked = self.blocked = self.blocked_rows()
        # Customers without past gestures share their options with those alike (``alike_keys``);
        # the others have options of their own.
        history, ids = self.request.history, table.ids
        alike: dict[int, list[int]] = defaultdict(list)
        groups: list[tuple[_Options, list[int]]] = []
        for row, key in zip(matched_rows, self.alike_keys(matched_rows), strict=True):
            if row in blocked:
                self.remove(ids[row], self.matched_of(masks[row])[1], blocked[row], blocked[row])
            elif ids[row] in history:
                groups.append((self.options_for(row), [row]))
            else:
                alike[key].append(row)
        groups += [(self.options_for(rows[0]), rows) for rows in alike.values()]
        waiting: list[tuple[_Options, list[int]]] = []  # candidates for the draw, by their options
        held_out: list[tuple[int, _Options]] = []
        for options, rows in groups:
            if not options.choices:
                assert options.first_block is not None
                for row in rows:
                    self.remove(ids[row], self.matched_of(masks[row])[1], *options.first_block)
                continue
            if options.choices[0][1].recovery:  # service recovery is never an experiment
                waiting.append((options, rows))
                continue
            held = held_out_flags([ids[row] for row in rows], self.rules.holdout_percent)
            held_out += [(row, options) for row in compress(rows, held)]
            waiting.append((options, list(compress(rows, map(operator.not_, held)))))
        held_out.sort(key=lambda row_and_options: row_and_options[0])
        self.hold_out(held_out)
        self.fit_in_turn([(options, rows) for options, rows in waiting if rows])
        self.add_wildcards(self.wildcard_pool())
        self.assign_words()
        reached = {gesture.customer_id for gesture in self.plan.gestures}
        # Not waiting: whoever cannot be contacted, and whoever this week already has a call for.
        unreachable = {ids[row] for row in blocked}
        self.plan.waiting = sorted(
            (self.listening[customer_id] for customer_id in self.owed - reached - unreachable),
            key=lambda listening: listening.first_in_line,
        )
        return self.plan

    def options_for(self, row: int) -> _Options:
        """What the customer in ``row`` may get (shared by customers alike, see ``alike_keys``)."""
        if self.table.ids[row] in self.request.history:
            return self.options(row, self.matched_of(self.masks[row])[0])
        (key,) = self.alike_keys((row,))
        found = self.shared.get(key)
        if found is None:
            found = self.shared[key] = self.options(row, self.matched_of(self.masks[row])[0])
        return found

    def alike_keys(self, rows: Sequence[int]) -> list[int]:
        """Customers without past gestures who matched the same rules may get the same things
        when they share the two flags that can change them: these keys say which they are."""
        masks, complaint, address = self.masks, self.restricted, self.has_address
        return [masks[row] << 2 | complaint[row] << 1 | address[row] for row in rows]

    def matched_of(self, mask: int) -> tuple[list[Rule], tuple[str, ...]]:
        """The rules a mask of matches stands for, and their names (a few dozen masks, each worked out once)."""
        found = self.by_mask.get(mask)
        if found is None:
            chosen = [rule for bit, rule in enumerate(self.ordered_rules) if mask >> bit & 1]
            found = self.by_mask[mask] = (chosen, tuple(rule.name for rule in chosen))
        return found

    def blocked_rows(self) -> dict[int, str]:
        """Rows of customers nothing may be planned for this week, with why."""
        rows = range(len(self.table))
        blocked = dict.fromkeys(compress(rows, self.erased), ERASED)
        for row in compress(rows, self.do_not_contact):
            blocked.setdefault(row, DO_NOT_CONTACT)
        for customer_id in self.this_week:
            row = self.table.row_of(customer_id)
            if row is not None and row not in blocked:
                blocked[row] = THIS_WEEK
        return blocked

    def hold_out(self, held_out: list[tuple[int, _Options]]) -> None:
        """The control group: what each would have got is kept, with status held_out, and nothing is sent."""
        by_rule: dict[Rule, list[int]] = defaultdict(list)  # positions in held_out
        for position, (_row, options) in enumerate(held_out):
            by_rule[options.choices[0][0]].append(position)
        reasons: list[str] = [""] * len(held_out)
        for rule, positions in by_rule.items():
            for position, reason in zip(
                positions, self.reasons(rule, [held_out[p][0] for p in positions]), strict=True
            ):
                reasons[position] = reason
        self.plan.removed[HOLDOUT] += len(held_out)
        ids, masks, zero = self.table.ids, self.masks, Decimal(0)
        self.plan.gestures += [
            PlannedGesture(ids[row], options.kinds[0], options.choices[0][0].name, reason, HELD_OUT, zero)
            for (row, options), reason in zip(held_out, reasons, strict=True)
        ]

        def decisions() -> dict[int, Decision]:  # all alike: written out only if someone asks
            matched = self.matched_of
            return {
                ids[row]: Decision(ids[row], matched(masks[row])[1], HELD_OUT, HOLDOUT, _HELD_OUT_DETAIL)
                for row, _options in held_out
            }

        self.plan.decisions.add_later(decisions)

    def options(self, row: int, matched_rules: list[Rule]) -> _Options:
        """The (rule, kind) pairs nothing blocks for this customer, and the first block met otherwise."""
        choices, first_block = [], None
        for rule in matched_rules:
            kind = self.rules.gestures[rule.gesture]
            blocked = self.kind_block(row, kind)
            if blocked is None:
                choices.append((rule, kind))
            elif first_block is None:
                first_block = blocked
        return _Options(choices, first_block, tuple(kind.name for _rule, kind in choices))

    def wildcard_pool(self) -> list[int]:
        """A uniform random sample of the rows no rule matched and nothing stops; wildcards come from it."""
        if self.rules.wildcards <= self.request.wildcards_this_week:
            return []
        unmatched = compress(range(len(self.table)), map(operator.not_, self.masks))
        eligible = [row for row in unmatched if not self.restricted[row] and row not in self.blocked]
        return self.rng.sample(eligible, min(len(eligible), WILDCARD_POOL_PER_WILDCARD * self.rules.wildcards))

    def fit_in_turn(self, candidates: list[tuple[_Options, list[int]]]) -> None:
        """Candidates take their turns in the draw's order until nobody left can get anything.

        ``candidates`` are rows (in order) by their options. Capacity, budget and writers only
        fill up, so once none of a set of kinds fits (for a language, when writers are named)
        it never will this run: after each gesture placed, the sets nothing fits any more are
        closed, and once every candidate still waiting is in a closed set, they are all removed
        at once, with the constraint that stops them.
        """
        pools: dict[tuple[bool, int], list[list[int]]] = defaultdict(list)  # by (recovery, weight) of the best
        waiting: Counter[tuple] = Counter()  # candidates not drawn yet, by what fills up for them
        someone: dict[tuple, int] = {}  # a candidate of each of those: what fits them fits them all
        ids, owed = self.table.ids, self.owed
        first: list[int] = []  # owed a person: they go first, in line
        for options, rows in candidates:
            rule, kind = options.choices[0]
            first += [row for row in rows if ids[row] in owed]
            pools[(kind.recovery, max(rule.priority, 1))].append([row for row in rows if ids[row] not in owed])
            if self.rules.writers:
                for row in rows:
                    key = (options.kinds, self.language[row])
                    waiting[key] += 1
                    someone.setdefault(key, row)
            else:
                waiting[options.kinds] += len(rows)
                someone.setdefault(options.kinds, rows[0])
        hopeful = waiting.total() - self.close_full(someone, waiting)
        first.sort(key=lambda row: self.listening[ids[row]].first_in_line)
        draw = _Draw(self.rng, {key: sorted(chain.from_iterable(lists)) for key, lists in pools.items()}, first)
        masks, dead, key_of = self.masks, self.dead, self.dead_key
        while hopeful and draw.waiting:
            turns = draw.take(LOOKAHEAD)
            for row in turns:
                key = key_of(row)
                waiting[key] -= 1
                matched = self.matched_of(masks[row])[1]
                if key in dead:
                    self.remove_too_late(ids[row], matched, dead[key])
                    continue
                hopeful -= 1
                placed = len(self.plan.gestures)
                stopped_by = self.place(row, matched, self.options_for(row))
                if stopped_by is not None:
                    dead[key] = stopped_by
                    hopeful -= waiting[key]
                elif len(self.plan.gestures) > placed:
                    hopeful -= self.close_full(someone, waiting)
        late = draw.rest()
        for key, count in waiting.items():
            if count:
                self.plan.removed[dead[key]] += count

        def late_decisions() -> dict[int, Decision]:
            decisions = {}
            for row in late:
                constraint = dead[key_of(row)]
                matched = self.matched_of(masks[row])[1]
                decisions[ids[row]] = Decision(ids[row], matched, REMOVED, constraint, _too_late(constraint))
            return decisions

        self.plan.decisions.add_later(late_decisions)

    def close_full(self, someone: Mapping[tuple, int], waiting: Mapping[tuple, int]) -> int:
        """Close the sets of kinds (and languages) nothing fits any more, given a candidate of
        each; returns how many candidates still waiting that closes out."""
        closed = 0
        for key, row in someone.items():
            if key not in self.dead:
                for _rule, kind in self.options_for(row).choices:
                    constraint, _writer = self.fits(row, kind)
                    if constraint is None:
                        break
                else:
                    self.dead[key] = constraint
                    closed += waiting[key]
        return closed

    def dead_key(self, row: int) -> tuple:
        """What fills up for this candidate: the kinds they can get (and their language, with writers)."""
        kinds = self.options_for(row).kinds
        return (kinds, self.language[row]) if self.rules.writers else kinds

    def remove_too_late(self, customer_id: int, matched: tuple[str, ...], constraint: str) -> None:
        self.remove(customer_id, matched, constraint, _too_late(constraint))

    def place(self, row: int, matched: tuple[str, ...], options: _Options) -> str | None:
        """Give the customer in ``row`` the first of their options that fits, or remove them.

        Returns the constraint when none of their kinds fits any more (capacity, budget or
        writers); None when they got a gesture, or when what stopped them was theirs alone (every
        gift on the shelf is one they had or bought).
        """
        last_constraint, theirs_alone = "", False
        for rule, kind in options.choices:
            constraint, writer = self.fits(row, kind)
            gift = self.gift_for(row, kind) if constraint is None and kind.gifts else None
            if constraint is None and kind.gifts and gift is None:
                constraint, theirs_alone = NO_GIFT_FOR_THEM, True
            if constraint is None:
                self.take(row, kind, rule, self.reason(rule, row), writer, gift)
                self.plan.decisions[self.table.ids[row]] = Decision(self.table.ids[row], matched, PLANNED)
                return None
            last_constraint = constraint
        if theirs_alone:
            self.remove(self.table.ids[row], matched, last_constraint, f"{last_constraint} on the shelf this week")
            return None
        self.remove_too_late(self.table.ids[row], matched, last_constraint)
        return last_constraint

    def add_wildcards(self, pool: list[int]) -> None:
        wanted = self.rules.wildcards - self.request.wildcards_this_week
        kinds = sorted(
            (kind for kind in self.rules.gestures.values() if not kind.recovery), key=lambda k: (k.cost, k.name)
        )
        for row in pool:
            if wanted <= 0:
                return
            for kind in kinds:
                constraint, writer = self.fits(row, kind)
                if constraint is not None or self.kind_block(row, kind) is not None:
                    continue
                gift = self.gift_for(row, kind) if kind.gifts else None
                if kind.gifts and gift is None:
                    continue
                (greeting,) = self.table.greetings([row])
                reason = _wildcard_reason(greeting, kind.name, self.rules.team_language)
                self.take(row, kind, None, reason, writer, gift)
                self.plan.decisions[self.table.ids[row]] = Decision(self.table.ids[row], (), PLANNED)
                wanted -= 1
                break

    def reason(self, rule: Rule, row: int) -> str:
        return self.reasons(rule, [row])[0]

    def reasons(self, rule: Rule, rows: list[int]) -> list[str]:
        """Why each of these customers was chosen, in the team's language: a customer owed a person
        by what they told us; anyone else by the rule's reason, their facts looked up together and
        their names (greetings) read from the summaries."""
        language, ids = self.rules.team_language, self.table.ids
        greetings = [greeting or ("고객" if language == "ko" else "They") for greeting in self.table.greetings(rows)]
        owed = [row for row in rows if ids[row] in self.owed]
        if not owed:
            values = {fact: self.table.column_at(fact, rows) for fact in rule.reason_facts(language)}
            values["first_name"] = greetings
            return rule.explain_all(values, len(rows), language, self.rules.currency)
        as_of = self.request.as_of
        return [
            self.listening[ids[row]].reason(greeting, as_of, language)
            if ids[row] in self.owed
            else self.reason(rule, row)
            for row, greeting in zip(rows, greetings, strict=True)
        ]

    # -- step 5: the words -------------------------------------------------------------------

    def assign_words(self) -> None:
        """Suggested words for every gesture placed, for its moment, fresh and varied (see the module doc).

        Gestures of one kind, language, occasion and timing form a group; an opener is used at
        most ⌈group size ÷ variants⌉ times in the week, counting the week's earlier gestures.
        Within a group the gestures are served in draw order, each taking the most personal
        variant still free (for the occasion, with a placeholder, not a fallback), least used first.
        """
        gestures, rows = self.plan.gestures, self.row_of_gesture
        start = len(gestures) - len(rows)  # held-out gestures come first and get no words
        groups: dict[tuple, list[int]] = defaultdict(list)
        sizes: Counter[tuple] = Counter(used.group for used in self.request.words_this_week)
        uses: Counter[tuple] = Counter((used.group, used.opener) for used in self.request.words_this_week)
        stacks: dict[str, set[str]] = defaultdict(set)
        for used in self.request.words_this_week:
            if used.writer:
                stacks[used.writer].add(used.opener)
        for position, row in enumerate(rows):
            gesture = gestures[start + position]
            group = (gesture.kind, self.language[row], gesture.occasion, self.timing(gesture))
            groups[group].append(position)
            sizes[group] += 1
        items = self.last_items(rows)
        for group, positions in groups.items():
            kind, language, occasion, timing = group
            variants = [t for t in self.request.templates.variants(kind, language) if t.suits(occasion, timing)]
            cap = math.ceil(sizes[group] / len(variants)) if variants else 0
            for position in positions:
                index, row = start + position, rows[position]
                gesture = gestures[index]
                stack = stacks[gesture.writer] if gesture.writer else set()
                profile = self.table.profile(row)
                if items is not None:
                    profile.facts = {**profile.facts, "last_order_items": items.get(profile.customer_id, ())}
                values = template_values(profile, occasion)
                template = self.pick_words(row, values, variants, cap, uses, stack, group)
                if template is None:
                    continue  # the brief asks the writer for an opening of their own
                message = template.render(values)
                gestures[index] = gesture._replace(template=template.id, message=message, opener=template.opener)
                uses[(group, template.opener)] += 1
                stack.add(template.opener)

    def last_items(self, rows: Sequence[int]) -> Mapping[int, tuple[str, ...]] | None:
        """The latest purchase's items of the customers in ``rows``, by customer id, looked up
        (``PlanRequest.last_items``) when the facts frame does not hold them; else None."""
        if "last_order_items" in self.table.frame.columns:
            return None
        return self.request.last_items([self.table.ids[row] for row in rows])

    def pick_words(
        self,
        row: int,
        values: Mapping[str, str | None],
        variants: list[Template],
        cap: int,
        uses: Counter[tuple],
        stack: set[str],
        group: tuple,
    ) -> Template | None:
        """The most personal variant this customer never had (filled with ``values``), free in
        the stack and under the cap."""
        customer_id = self.table.ids[row]
        _kind, _language, occasion, timing = group
        used = {g.template for g in self.request.history.get(customer_id, ()) if g.template}
        had = self.request.past_openers.get(customer_id, frozenset())
        fresh = [
            template
            for template in variants
            if template.id not in used
            and template.opener not in had
            and template.opener not in stack
            and uses[(group, template.opener)] < cap
            and template.fits(values, occasion, timing)
        ]
        if not fresh:
            return None

        def rank(template: Template) -> tuple[bool, bool, bool, int]:
            personal = (not template.occasions, not template.placeholders, template.fallback)
            return (*personal, uses[(group, template.opener)])

        best = min(map(rank, fresh))
        return self.rng.choice([template for template in fresh if rank(template) == best])

    def timing(self, gesture: PlannedGesture) -> str | None:
        """When the words reach the customer against their day: ahead, on_the_day or belated (None: no day)."""
        return words_timing(gesture.for_day, gesture.send_by, self.rules.gestures[gesture.kind].posting_days)


class _Draw:
    """The draw: candidates' turns in priority-weighted random order, recovery first.

    Each turn goes to a waiting candidate with probability in proportion to the priority of
    their best option: sampling without replacement, one turn at a time, which orders them as
    Efraimidis-Spirakis keys would. Turns are taken a few at a time, and a big shop's plan
    stops taking them once nobody left can get anything: the rest are never drawn.
    """

    def __init__(
        self, rng: random.Random, pools: Mapping[tuple[bool, int], list[int]], first: Sequence[int] = ()
    ) -> None:
        """``pools``: the candidates (rows, in order) by (recovery, weight) of their best option;
        ``first``: candidates who take their turns before any draw, in this order."""
        self.rng = rng
        self.first = list(reversed(first))
        self.stages = [
            [(weight, pool) for (recovery, weight), pool in sorted(pools.items()) if recovery == first]
            for first in (True, False)
        ]
        self.totals = [sum(weight * len(pool) for weight, pool in stage) for stage in self.stages]
        self.waiting = sum(len(pool) for pool in pools.values()) + len(self.first)

    def take(self, count: int) -> list[int]:
        """The next ``count`` candidates to take a turn (fewer if fewer wait)."""
        taken: list[int] = []
        while self.first and len(taken) < count:
            taken.append(self.first.pop())
        for _ in range(min(count - len(taken), self.waiting - len(taken))):
            while not self.totals[0]:
                self.stages.pop(0)
                self.totals.pop(0)
            pick = self.rng.random() * self.totals[0]
            for weight, pool in self.stages[0]:
                if pool:
                    chosen, chosen_weight = pool, weight  # rounding can leave the pick past the last pool
                    pick -= weight * len(pool)
                    if pick < 0:
                        break
            place = self.rng.randrange(len(chosen))
            chosen[place], chosen[-1] = chosen[-1], chosen[place]
            taken.append(chosen.pop())
            self.totals[0] -= chosen_weight
        self.waiting -= len(taken)
        return taken

    def rest(self) -> list[int]:
        """Everyone still waiting; they will not be drawn."""
        rest = self.first + [position for stage in self.stages for _weight, pool in stage for position in pool]
        self.waiting = 0
        return rest


class _Options(NamedTuple):
    """What a matched customer may get: (rule, kind) pairs nothing blocks, else the first block met."""

    choices: list[tuple[Rule, GestureKind]]
    first_block: tuple[str, str] | None
    kinds: tuple[str, ...]


_HELD_OUT_DETAIL = "in the control group: nothing is sent"


@functools.cache
def _too_late(constraint: str) -> str:
    """Why a candidate the draw reached too late was removed, in words."""
    return f"{constraint} reached before their turn in the draw"


# The fact that says how far away an occasion's day is.
_DAY_FACTS = {"birthday": "days_until_birthday", "anniversary": "days_until_first_order_anniversary"}


def _week_days(week: str, as_of: date) -> tuple[date, date, date]:
    """The first day gestures of ``week`` can be sent (its Monday, or the as-of day if later), its
    Friday (the last day for the post and the working week) and its Sunday."""
    first = monday(week)
    return min(max(first, as_of), first + timedelta(days=4)), first + timedelta(days=4), first + timedelta(days=6)


def words_timing(for_day: date | None, send_by: date | None, posting_days: int) -> str | None:
    """When words sent on ``send_by`` reach the customer against ``for_day``: "ahead", "on_the_day"
    or "belated"; None for a gesture that is for no particular day.

    Only a message sent on the day itself is "on the day": a card in the post may arrive a day
    early or late, so it never says "today".
    """
    if for_day is None or send_by is None:
        return None
    arrives = send_by + timedelta(days=posting_days)
    if arrives > for_day:
        return "belated"
    return "on_the_day" if arrives == for_day and posting_days == 0 else "ahead"


def _wildcard_reason(greeting: str | None, kind: str, language: str) -> str:
    if language == "ko":
        return f"깜짝 선물: 어떤 규칙에도 해당하지 않은 {greeting or '고객'}님께 뜻밖의 {phrases.kind_name(kind, 'ko')}"
    return f"A wildcard: a surprise {kind.replace('_', ' ')} for {greeting or 'someone'}, whom no rule picked"


def make_plan(request: PlanRequest) -> Plan:
    """Plan a week. The same request (facts, rules, history, seed) always gives the same plan."""
    return _Planner(request).run()


def _day_of(gesture: PastGesture) -> date:
    """When a gesture happened: the day it was sent, or the Monday of the week it is planned for."""
    if gesture.sent_on is not None:
        return gesture.sent_on
    year, number = (int(part) for part in gesture.week.split("-W"))
    return date.fromisocalendar(year, number, 1)


@dataclass(frozen=True)
class _PastSummary:
    """The three things cooldown, max-per-year and variety need from a customer's past gestures."""

    days_since_latest: int  # the nearest gesture in time; planned ones for later weeks count as near
    in_last_year: int
    latest_kind: str


def _summarise(gestures: Sequence[PastGesture], as_of: date) -> _PastSummary:
    days = [(as_of - _day_of(g)).days for g in gestures]
    latest = max(gestures, key=lambda g: (_day_of(g), g.week))
    return _PastSummary(
        days_since_latest=min(days, key=abs),
        in_last_year=sum(1 for d in days if d < 365),
        latest_kind=latest.kind,
    )
