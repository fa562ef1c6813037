"""Rules: the week's budget, the gesture kinds, the writing team and the rules that pick customers.

A rules file is TOML (see ``default_rules.toml``, shown by ``delight rules show``). Everything in it
is validated when it is loaded, and every problem is one :class:`~planner.errors.RulesError` line that
names the thing and the fix.

Each rule's ``when`` is an expression over the customer facts in :data:`planner.facts.FACTS`. It is
parsed and type-checked by rule-engine, then compiled into plain Python closures, because rule-engine's
own evaluation is too slow for 200,000 customers times a handful of rules. The compiled form never uses
``eval``/``exec`` or ``getattr`` on names from the file.

Semantics of ``when`` (the same text is in ``default_rules.toml`` for ops staff):

* A comparison (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``=~`` …) with a missing fact
  (``None``) on either side is false. Only ``x == null`` and ``x != null`` test for a missing fact.
  ``not`` simply flips true and false, so ``not (days_since_last_order <= 14)`` is true for a customer
  without orders; write ``days_since_last_order > 14`` to mean "more than 14 days".
* Arithmetic (``+ - * / // %``) with a missing fact gives a missing value; so does division by zero.
* Numbers are exact (int or Decimal, never float). ``/``, ``//`` and ``%`` are Decimal operations,
  as in rule-engine (``//`` rounds towards zero, ``%`` takes the sign of the left side).
* Date facts compare with date literals written ``d"2026-01-01"`` (no time of day). There is no
  date arithmetic; use the ``days_since_*`` / ``days_until_*`` facts.
* Both sides of a comparison must have the same type, and ``and``/``or``/``not`` take true/false
  values only: ``language == 3`` or ``orders_count and …`` are rejected when the file is loaded.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import importlib.resources
import math
import operator
import re
import string
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from pathlib import Path
from typing import Any, Protocol

import re2

from planner import phrases
from planner.errors import RulesError
from planner.facts import COST, FACTS, FACTS_BY_NAME, FactType
from planner.limits import MAX_AMOUNT, MAX_COUNT, MAX_DAYS, in_amount_range
from planner.ruleengine import engine_ast, engine_errors, rule_engine, tokens
from planner.textfiles import parse_toml, read_utf8

Facts = Mapping[str, object]
"""One customer's facts: every name in FACTS mapped to its value, or None when it is missing."""


class Columns(Protocol):
    """Facts for many customers at once (``planner.facts.FactTable``): one list per fact, in row order."""

    def __len__(self) -> int: ...

    def column(self, name: str) -> Sequence[Any]: ...

    def select(self, rows: Sequence[int]) -> Columns:
        """Only these rows (positions in this set of rows), for a condition only they still need."""
        ...


Predicate = Callable[[Columns], list[bool]]
"""A compiled condition: for every row of the columns, whether it holds."""

LANGUAGES = frozenset({"ko", "en"})
"""Languages a writer can write in (and a customer can prefer)."""

REASON_EXTRA_NAMES: dict[str, str] = {"first_name": "The customer's first (given) name."}
"""Names a ``reason`` template may use besides the facts; the planner supplies their values."""

# Digits after the decimal point a money amount may have, for currencies a shop is likely to use.
# Other currencies are accepted without this check.
CURRENCY_DECIMALS: dict[str, int] = {
    "KRW": 0,
    "JPY": 0,
    "VND": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
}

DEFAULT_TIMEZONE = "Asia/Seoul"

DEFAULT_SOURCE = "default rules"

DEFAULT_REPLY_WITHIN_DAYS = 2

DEFAULT_LOW_RATING = 2
"""A rating at or below this, with no reply from a person, means the customer is owed a person first."""

DEFAULT_POSTING_DAYS = 2
"""Days a physical gesture takes from being posted to arriving, unless its kind says otherwise."""

OCCASIONS = ("birthday", "anniversary", "first_order", "milestone", "we_miss_you", "thanks")
"""Why a rule picks a customer, for words that fit the moment (a rule's optional ``occasion``)."""

# A rule without an ``occasion`` key gets one from the facts its condition uses, when that is clear.
_OCCASION_FROM_FACT = {
    "days_until_birthday": "birthday",
    "days_until_first_order_anniversary": "anniversary",
}


@dataclass(frozen=True)
class Gift:
    """One gift on the shelf a physical kind's gifts come from.

    ``cost`` is the gift's own price, added to its kind's ``cost`` (the box and the postage).
    ``stock`` is how many were on the shelf when counted on ``counted_on``; every gesture with
    this gift logged sent on or after that day comes off it (``planner.gifts``). ``None``: not
    counted, never runs out. ``sku`` also matches the customer's orders: nobody is given a gift
    they bought.
    """

    name: str
    cost: decimal.Decimal = decimal.Decimal(0)
    stock: int | None = None
    counted_on: datetime.date | None = None
    sku: str | None = None


@dataclass(frozen=True)
class GestureKind:
    """A kind of gesture: what one costs, how many fit in a week, and what it needs."""

    name: str
    cost: decimal.Decimal
    capacity: int
    physical: bool = False
    recovery: bool = False
    posting_days: int = 0  # from sending to arriving: a card in the post takes days, a message none
    gifts: tuple[Gift, ...] = ()  # the shelf a gift is chosen from (``choices``, or one fixed ``gift``)


@dataclass(frozen=True)
class PostalAddress:
    """Where the shop posts from: the return address on envelopes and labels."""

    name: str
    street: str = ""  # lines separated by newlines
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166 code, e.g. "KR"


@dataclass(frozen=True)
class Writer:
    """A person on the team who writes notes: how many a week, and in which languages."""

    name: str
    capacity: int
    languages: frozenset[str]


@dataclass(frozen=True)
class Rule:
    """One rule: when its compiled condition ``matches`` a customer's facts, it proposes ``gesture``.

    ``facts_used`` lists the fact names the condition refers to, in order of first use, so a plan can
    show the facts behind a choice.
    """

    name: str
    gesture: str
    when: str
    priority: int
    reasons: Mapping[str, str] = field(compare=False)  # the ``reason`` by language ("ko", "en"); may be empty
    matches_all: Predicate = field(compare=False, repr=False)
    facts_used: tuple[str, ...] = ()
    occasion: str | None = None

    def matches(self, facts: Facts) -> bool:
        """Whether the condition holds for one customer's facts."""
        return self.matches_all(OneCustomer(facts))[0]

    def reason(self, language: str) -> str | None:
        """The ``reason`` template in ``language``, else in the other language given, else None."""
        return self.reasons.get(language) or next(iter(self.reasons.values()), None)

    def reason_facts(self, language: str) -> tuple[str, ...]:
        """The facts the ``reason`` template in ``language`` fills in."""
        reason = self.reason(language)
        return _reason_facts(reason) if reason else ()

    def explain_all(
        self, values: Mapping[str, Sequence[object]], count: int, language: str = "en", currency: str = "KRW"
    ) -> list[str]:
        """The rule's ``reason`` in ``language`` filled in for ``count`` customers, from a column of
        values per name (facts plus ``first_name``), each fact in words (``planner.phrases``).

        Without a ``reason`` template, says which rule matched. A missing value shows as "unknown".
        """
        reason = self.reason(language)
        if reason is None:
            said = f'규칙 "{self.name}"에 해당해요' if language == "ko" else f'Matched rule "{self.name}"'
            return [said] * count
        pieces: list[Sequence[str]] = []
        for literal, name in _reason_pieces(reason):
            pieces.append([literal] * count)
            if name is not None:
                column = values.get(name, [None] * count)
                pieces.append([phrases.fact(name, value, language, currency) for value in column])
        return ["".join(parts) for parts in zip(*pieces, strict=True)]


@dataclass(frozen=True)
class RuleSet:
    """A whole rules file, validated: settings, gesture kinds, writers and rules (highest priority first)."""

    currency: str
    weekly_budget: decimal.Decimal
    cooldown_days: int
    max_per_year: int
    holdout_percent: int
    wildcards: int
    shop_name: str | None
    timezone: str
    gestures: dict[str, GestureKind]
    writers: tuple[Writer, ...]
    rules: tuple[Rule, ...]
    source_text: str = field(repr=False)
    reply_within_days: int = DEFAULT_REPLY_WITHIN_DAYS
    low_rating: int = DEFAULT_LOW_RATING
    team_language: str = "ko"  # what staff read (reasons, briefs); customers get words in their own
    return_address: PostalAddress | None = None
    source: str = DEFAULT_SOURCE  # the file's path, or DEFAULT_SOURCE for the shipped rules

    def in_shop_currency(self, shop_currency: str | None) -> RuleSet:
        """These rules for a shop whose orders are in ``shop_currency`` (None: no orders yet).

        Money is never counted in two currencies: the shipped rules name none of the shop's, so
        they take the orders' currency; a rules file that names another stops everything here.
        """
        if shop_currency is None or shop_currency == self.currency:
            return self
        if self.source == DEFAULT_SOURCE:
            return replace(self, currency=shop_currency)
        raise RulesError(
            f'the shop\'s orders are in {shop_currency}, but {self.source} says currency = "{self.currency}": '
            f'set currency = "{shop_currency}" there (with its amounts in {shop_currency})'
        )

    @property
    def recovery_kinds(self) -> list[GestureKind]:
        """The kinds for listening to a customer after a bad experience, in the file's order."""
        return [kind for kind in self.gestures.values() if kind.recovery]


# ---------------------------------------------------------------------------------------------------
# Loading


def default_rules_text() -> str:
    """The packaged default rules file, as text (it doubles as the rules file's documentation)."""
    return (importlib.resources.files("planner") / "default_rules.toml").read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> RuleSet:
    """Load and validate a rules file; ``None`` loads the packaged default.

    Raises RulesError for a file that cannot be read or is not valid.
    """
    if path is None:
        return parse_rules(default_rules_text(), source=DEFAULT_SOURCE)
    return parse_rules(read_utf8(Path(path), "rules file", RulesError), source=str(path))


_TOP_LEVEL_KEYS = (
    "currency",
    "weekly_budget",
    "cooldown_days",
    "max_per_year",
    "holdout_percent",
    "wildcards",
    "shop_name",
    "timezone",
    "reply_within_days",
    "low_rating",
    "team_language",
    "return_address",
    "gestures",
    "writers",
    "rules",
)
_GESTURE_KEYS = ("cost", "capacity", "physical", "recovery", "posting_days", "choices", "gift")
_GIFT_KEYS = ("name", "cost", "stock", "counted_on", "sku")
_ADDRESS_KEYS = ("name", "street", "city", "region", "postal_code", "country")
_WRITER_KEYS = ("capacity", "languages")
_RULE_KEYS = ("name", "gesture", "when", "priority", "reason", "occasion")
_REQUIRED_KEY_EXAMPLES = {
    "currency": 'currency = "KRW"',
    "weekly_budget": "weekly_budget = 300000",
    "gestures": "[gestures.handwritten_note]",
    "cost": "cost = 1500",
    "capacity": "capacity = 10",
    "gesture": 'gesture = "handwritten_note"',
    "when": 'when = "orders_count == 1"',
}


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Parse and validate the text of a rules file; ``source`` names it in TOML syntax errors.

    Raises RulesError naming the first problem found.
    """
    data = parse_toml(source, text, RulesError)

    top = _Table(data, "")
    top.check_keys(_TOP_LEVEL_KEYS, "top-level key")
    currency = top.string("currency")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RulesError(f'currency "{currency}" must be a 3-letter ISO code in capitals, e.g. "KRW"')
    weekly_budget = top.money("weekly_budget", currency)
    cooldown_days = top.integer("cooldown_days", 90, maximum=MAX_DAYS)
    max_per_year = top.integer("max_per_year", 3, minimum=1)
    holdout_percent = top.integer("holdout_percent", 10, maximum=100)
    wildcards = top.integer("wildcards", 1)
    shop_name = top.string("shop_name", None)
    timezone = top.string("timezone", DEFAULT_TIMEZONE)
    _check_timezone(timezone)
    gestures = _parse_gestures(top.table("gestures"), currency)
    team_language = top.string("team_language", "ko" if currency == "KRW" or timezone == "Asia/Seoul" else "en")
    if team_language not in LANGUAGES:
        raise RulesError(f'team_language "{team_language}" is not supported; use "ko" or "en"')
    return RuleSet(
        currency=currency,
        weekly_budget=weekly_budget,
        cooldown_days=cooldown_days,
        max_per_year=max_per_year,
        holdout_percent=holdout_percent,
        wildcards=wildcards,
        shop_name=shop_name,
        timezone=timezone,
        gestures=gestures,
        writers=_parse_writers(top.get("writers", {})),
        rules=_parse_rule_list(top.array_of_tables("rules"), gestures),
        source_text=text,
        source=source,
        reply_within_days=top.integer("reply_within_days", DEFAULT_REPLY_WITHIN_DAYS, maximum=MAX_DAYS),
        low_rating=top.integer("low_rating", DEFAULT_LOW_RATING, minimum=0, maximum=5),
        team_language=team_language,
        return_address=_parse_address(top.table("return_address", required=False)),
    )


def _parse_gestures(table: dict[str, Any], currency: str) -> dict[str, GestureKind]:
    if not table:
        raise RulesError("[gestures] must define at least one gesture kind, e.g. [gestures.cheer_message]")
    gestures: dict[str, GestureKind] = {}
    for name, value in table.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise RulesError(f'gesture "{name}": name must be lower-case letters, digits and _')
        gesture = _Table.of(value, f'gesture "{name}"', f"[gestures.{name}]")
        gesture.check_keys(_GESTURE_KEYS, "key")
        physical = gesture.boolean("physical", False)
        gestures[name] = GestureKind(
            name=name,
            cost=gesture.money("cost", currency),
            capacity=gesture.integer("capacity"),
            physical=physical,
            recovery=gesture.boolean("recovery", False),
            posting_days=gesture.integer("posting_days", DEFAULT_POSTING_DAYS if physical else 0, maximum=60),
            gifts=_parse_gifts(gesture, name, physical, currency),
        )
    shelf: dict[str, str] = {}
    for kind in gestures.values():
        for gift in kind.gifts:
            if gift.name in shelf:
                raise RulesError(
                    f'gift "{gift.name}" is offered by both {shelf[gift.name]} and {kind.name}; '
                    "a gift belongs to one kind (its stock is counted there)"
                )
            shelf[gift.name] = kind.name
    return gestures


def _parse_gifts(gesture: _Table, kind: str, physical: bool, currency: str) -> tuple[Gift, ...]:
    """A kind's ``choices = [{ name, cost, stock, counted_on, sku }, ...]`` or one fixed ``gift``."""
    where = f'gesture "{kind}"'
    choices, fixed = gesture.get("choices", None), gesture.get("gift", None)
    if choices is None and fixed is None:
        return ()
    if choices is not None and fixed is not None:
        raise RulesError(f"{where}: give either choices (several gifts) or gift (one), not both")
    if not physical:
        raise RulesError(f"{where}: a gift is posted, so {kind} needs physical = true")
    if fixed is not None:
        if isinstance(fixed, str):
            fixed = {"name": fixed}
        items, cost_example = [fixed], None
    else:
        if not isinstance(choices, list) or not choices:
            raise RulesError(
                f'{where}: choices must be a list of gifts, e.g. choices = [{{ name = "유자차", cost = 9000 }}]'
            )
        items, cost_example = choices, "cost = 9000"
    gifts: list[Gift] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RulesError(f'{where}: gift #{number} must be a table like {{ name = "유자차", cost = 9000 }}')
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RulesError(f'{where}: gift #{number} needs a name, e.g. name = "유자차"')
        table = _Table(item, f'{where}, gift "{name}"')
        table.check_keys(_GIFT_KEYS, "key")
        if cost_example and "cost" not in item:
            raise RulesError(f'{table.prefix}missing required key "cost" (add e.g. {cost_example})')
        stock = table.integer("stock") if "stock" in item else None
        counted_on = item.get("counted_on")
        if counted_on is not None and (
            not isinstance(counted_on, datetime.date) or isinstance(counted_on, datetime.datetime)
        ):
            raise RulesError(f"{table.prefix}counted_on must be a date without quotes, e.g. counted_on = 2026-12-01")
        if stock is not None and counted_on is None:
            raise RulesError(
                f"{table.prefix}stock needs the day it was counted, e.g. counted_on = 2026-12-01 "
                "(gifts logged sent from that day on come off it)"
            )
        if stock is None and counted_on is not None:
            raise RulesError(f"{table.prefix}counted_on goes with stock, e.g. stock = 12")
        if any(gift.name == name.strip() for gift in gifts):
            raise RulesError(f'{where}: gift "{name}" is listed twice')
        gifts.append(
            Gift(
                name=name.strip(),
                cost=table.money("cost", currency) if "cost" in item else decimal.Decimal(0),
                stock=stock,
                counted_on=counted_on,
                sku=table.string("sku", None),
            )
        )
    return tuple(gifts)


def _parse_address(table: dict[str, Any]) -> PostalAddress | None:
    """The ``[return_address]`` table, if any: name (required), street, city, region, postal_code, country."""
    if not table:
        return None
    address = _Table(table, "return_address")
    address.check_keys(_ADDRESS_KEYS, "key")
    name = address.string("name", None)
    if not name or not name.strip():
        raise RulesError('return_address: needs a name, e.g. name = "마루 잡화점"')
    country = address.string("country", "") or ""
    if country and not re.fullmatch(r"[A-Za-z]{2}", country.strip()):
        raise RulesError(f'return_address: country "{country}" must be a 2-letter ISO code, e.g. "KR"')
    return PostalAddress(
        name=name.strip(),
        street=address.string("street", "") or "",
        city=address.string("city", "") or "",
        region=address.string("region", "") or "",
        postal_code=address.string("postal_code", "") or "",
        country=country.strip().upper(),
    )


def _parse_writers(value: object) -> tuple[Writer, ...]:
    """Writers as ``[writers.Minji]`` tables, or as ``[[writers]]`` with a ``name`` (any script, no quoting)."""
    if isinstance(value, list):
        named: list[tuple[str, object]] = []
        for number, entry in enumerate(value, start=1):
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name.strip():
                raise RulesError(f'writer #{number}: needs a name, e.g. [[writers]] name = "민지"')
            named.append((name.strip(), {key: item for key, item in entry.items() if key != "name"}))
    elif isinstance(value, dict):
        named = list(value.items())
    else:
        raise RulesError('writers must be [writers.NAME] tables or [[writers]] with name = "..."')
    writers: list[Writer] = []
    for name, entry in named:
        if any(writer.name == name for writer in writers):
            raise RulesError(f'writer "{name}" is defined twice; give each writer once')
        writer = _Table.of(entry, f'writer "{name}"', f'[writers."{name}"]')
        writer.check_keys(_WRITER_KEYS, "key")
        languages = writer.get("languages", ["ko", "en"])
        if not isinstance(languages, list) or not languages:
            raise RulesError(f'writer "{name}": languages must be a non-empty list, e.g. ["ko", "en"]')
        for language in languages:
            if language not in LANGUAGES:
                raise RulesError(f'writer "{name}": language "{language}" is not supported; use "ko" or "en"')
        writers.append(Writer(name=name, capacity=writer.integer("capacity"), languages=frozenset(languages)))
    return tuple(writers)


def _parse_rule_list(items: list[Any], gestures: Mapping[str, GestureKind]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"rule #{number}"
        if not isinstance(item, dict):
            raise RulesError(f"{where}: must be a table; write each rule as [[rules]]")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RulesError(f'{where}: needs a name, e.g. name = "first-order thanks"')
        where = f'rule "{name}"'
        if name in seen:
            raise RulesError(f"{where} is defined twice; give each rule a unique name")
        seen.add(name)
        rule = _Table(item, where)
        rule.check_keys(_RULE_KEYS, "key")
        gesture = rule.string("gesture")
        if gesture not in gestures:
            raise RulesError(
                f'{where}: gesture "{gesture}" is not defined in [gestures]{_did_you_mean(gesture, gestures)}'
            )
        when = rule.string("when")
        reasons = _parse_reasons(name, rule.get("reason", None))
        matches, facts_used = compile_when(name, when)
        occasion = rule.string("occasion", None)
        if occasion is None:
            occasion = next((_OCCASION_FROM_FACT[f] for f in facts_used if f in _OCCASION_FROM_FACT), None)
        elif occasion not in OCCASIONS:
            raise RulesError(
                f'{where}: occasion "{occasion}" is not known{_did_you_mean(occasion, OCCASIONS)} '
                f"(use one of {', '.join(OCCASIONS)})"
            )
        rules.append(
            Rule(
                name=name,
                gesture=gesture,
                when=when,
                priority=rule.integer("priority", 0, minimum=-MAX_COUNT),
                reasons=reasons,
                matches_all=matches,
                facts_used=facts_used,
                occasion=occasion,
            )
        )
    # Highest priority first; ties keep the file's order (sorted is stable).
    return tuple(sorted(rules, key=lambda rule: -rule.priority))


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        suggestion = _did_you_mean(name, zoneinfo.available_timezones()) or ' (use a name like "Asia/Seoul")'
        raise RulesError(f'timezone "{name}" is not a known time zone{suggestion}') from None


def _parse_reasons(rule_name: str, value: object) -> dict[str, str]:
    """A rule's ``reason``: one text for every team, or a table of texts by language (ko, en)."""
    where = f'rule "{rule_name}"'
    if value is None:
        return {}
    if isinstance(value, str):
        _check_reason(rule_name, value)
        return {language: value for language in sorted(LANGUAGES)}
    if not isinstance(value, dict) or not value or any(not isinstance(text, str) for text in value.values()):
        raise RulesError(f'{where}: reason must be text, or texts by language: reason = {{ ko = "...", en = "..." }}')
    for language, text in value.items():
        if language not in LANGUAGES:
            raise RulesError(f'{where}: reason in "{language}" is not supported; give it in "ko" and/or "en"')
        _check_reason(rule_name, text)
    return dict(value)


# A days fact already reads "in 5 days" / "5 days ago" / "today", and a count "3 orders": words
# around the placeholder that say it again would read "in in 5 days days".
_DOUBLED_UNITS = re.compile(
    r"\bin \{(days_until_\w+)\}|\{(days_(?:until|since)_\w+)\} ?(?:days?\b|일)"
    r"|\{(" + "|".join(phrases.COUNT_NOUNS) + r")\} ?(?:times\b|orders?\b|refunds?\b|gestures?\b|번)"
)


def _check_reason(rule_name: str, reason: str) -> None:
    where = f'rule "{rule_name}"'
    doubled = _DOUBLED_UNITS.search(reason)
    if doubled:
        name = next(group for group in doubled.groups() if group)
        example = {"days_until": '"in 5 days", "tomorrow" or "today"', "days_since": '"5 days ago" or "yesterday"'}
        reads = example.get(name[: len("days_until")], '"3 orders" (Korean: "3번")')
        raise RulesError(
            f'{where}: reason "…{doubled.group(0)}…" says the unit twice: {{{name}}} already reads {reads}; '
            f"write just {{{name}}}"
        )
    allowed = [fact.name for fact in FACTS] + list(REASON_EXTRA_NAMES)
    try:
        pieces = list(string.Formatter().parse(reason))
    except ValueError:
        raise RulesError(f'{where}: reason has an unmatched "{{" or "}}"; write {{{{ or }}}} for a brace') from None
    for _literal, name, spec, conversion in pieces:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise RulesError(f"{where}: reason may only use plain {{fact}} names, not {{{name}...}}")
        if name not in allowed:
            suggestion = _did_you_mean(name, allowed)
            raise RulesError(f"{where}: reason uses unknown name {{{name}}}{suggestion}")


@functools.cache
def _reason_pieces(reason: str) -> tuple[tuple[str, str | None], ...]:
    """A checked ``reason`` template as (literal text, name or None) pieces, parsed once."""
    return tuple((literal, name) for literal, name, _spec, _conversion in string.Formatter().parse(reason))


@functools.cache
def _reason_facts(reason: str) -> tuple[str, ...]:
    return tuple(name for _literal, name in _reason_pieces(reason) if name in FACTS_BY_NAME)


def _shown_value(value: object) -> str:
    """A value from the file in a message: a number of a hundred digits is cut short."""
    shown = repr(value) if not isinstance(value, int | decimal.Decimal) else str(value)
    return shown if len(shown) <= 40 else f"{shown[:20]}…({len(shown)} characters)"


def _did_you_mean(word: str, options: Any) -> str:
    """' (did you mean "x"?)' for the closest of ``options``, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


class _Table:
    """Typed, validated access to one TOML table; ``where`` prefixes its error messages."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data = data
        self.prefix = f"{where}: " if where else ""

    @classmethod
    def of(cls, value: object, where: str, header: str) -> _Table:
        if not isinstance(value, dict):
            raise RulesError(f"{where}: must be a table; write it as {header} with keys below it")
        return cls(value, where)

    def check_keys(self, allowed: tuple[str, ...], what: str) -> None:
        for key in self.data:
            if key not in allowed:
                raise RulesError(f'{self.prefix}unknown {what} "{key}"{_did_you_mean(key, allowed)}')

    def get(self, key: str, default: Any = ...) -> Any:
        if key in self.data:
            return self.data[key]
        if default is ...:
            example = _REQUIRED_KEY_EXAMPLES.get(key)
            hint = f" (add e.g. {example})" if example else ""
            raise RulesError(f'{self.prefix}missing required key "{key}"{hint}')
        return default

    def string(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, default)
        if value is not None and not isinstance(value, str):
            raise RulesError(f'{self.prefix}{key} must be a quoted string, e.g. {key} = "..."')
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise RulesError(f"{self.prefix}{key} must be true or false")
        return value

    def integer(self, key: str, default: Any = ..., *, minimum: int = 0, maximum: int = MAX_COUNT) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RulesError(f"{self.prefix}{key} must be a whole number (got {_shown_value(value)})")
        if minimum <= value <= maximum:
            return value
        got = _shown_value(value)
        if maximum < MAX_DAYS:  # a narrow range, like a percentage: name both ends
            raise RulesError(f"{self.prefix}{key} must be between {minimum:,} and {maximum:,} (got {got})")
        if value > maximum:
            raise RulesError(f"{self.prefix}{key} must be at most {maximum:,} (got {got})")
        if minimum == 0:
            raise RulesError(f"{self.prefix}{key} must not be negative (got {got})")
        raise RulesError(f"{self.prefix}{key} must be at least {minimum:,} (got {got})")

    def money(self, key: str, currency: str) -> decimal.Decimal:
        value = self.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise RulesError(f"{self.prefix}{key} = {value!r} is not an amount; write digits like 1500")
        if isinstance(value, float):
            raise RulesError(
                f"{self.prefix}{key} = {value!r} is a TOML float, and money is never a float; "
                f'write a whole number ({key} = {int(value)}) or a quoted decimal ({key} = "{value}")'
            )
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise RulesError(f'{self.prefix}{key} must be a whole number or a quoted decimal like "1500.50"')
        if isinstance(value, str) and not re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
            raise RulesError(f'{self.prefix}{key} = "{value}" is not an amount; write digits like "1500.50"')
        amount = decimal.Decimal(value.strip() if isinstance(value, str) else value)
        if amount < 0:
            raise RulesError(f"{self.prefix}{key} must not be negative (got {_shown_value(amount)})")
        if not in_amount_range(amount):
            raise RulesError(f"{self.prefix}{key} must be at most {MAX_AMOUNT:,.0f} (got {_shown_value(amount)})")
        decimals = CURRENCY_DECIMALS.get(currency)
        exponent = amount.as_tuple().exponent
        if decimals is not None and isinstance(exponent, int) and -exponent > decimals:
            raise RulesError(
                f"{self.prefix}{key} = {amount} has more decimal places than {currency} allows ({decimals})"
            )
        return amount

    def table(self, key: str, *, required: bool = True) -> dict[str, Any]:
        value = self.get(key, ... if required else {})
        if not isinstance(value, dict):
            raise RulesError(f"{self.prefix}{key} must be a table: write [{key}.<name>] sections")
        return value

    def array_of_tables(self, key: str) -> list[Any]:
        value = self.get(key, [])
        if not isinstance(value, list):
            raise RulesError(f"{self.prefix}{key} must be a list of tables: write each one as [[{key}]]")
        return value


# ---------------------------------------------------------------------------------------------------
# The `when` language: rule-engine parses and type-checks, then the AST is compiled to closures.

_ENGINE_TYPES = {
    FactType.INT: rule_engine.DataType.FLOAT,
    FactType.MONEY: rule_engine.DataType.FLOAT,
    FactType.DATE: rule_engine.DataType.DATETIME,
    FactType.TEXT: rule_engine.DataType.STRING,
    FactType.BOOL: rule_engine.DataType.BOOLEAN,
    FactType.TEXT_LIST: rule_engine.DataType.ARRAY(rule_engine.DataType.STRING),
}

ENGINE_CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict({fact.name: _ENGINE_TYPES[fact.type] for fact in FACTS}),
    resolver=rule_engine.resolve_item,
    default_timezone="utc",
)
"""The rule-engine context rules are type-checked in: facts are plain (non-NULLABLE) types, because
missing facts are handled by the compiled form (a comparison with a missing fact is false)."""

# Parses without types, only to find the exact cause of a type error rule-engine reports tersely.
_UNTYPED_CONTEXT = rule_engine.Context(default_timezone="utc")

_DECIMAL = decimal.Context(prec=28)

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the error comes back as a RulesError, not as a line on stderr

NUMBER, TEXT, BOOL, DATE, NULL = "number", "text", "true/false", "date", "null"
_LIST = "list of "  # list kinds are "list of text", "list of number", ...; "list of ?" is []

_FACT_KINDS = {
    FactType.INT: NUMBER,
    FactType.MONEY: NUMBER,
    FactType.DATE: DATE,
    FactType.TEXT: TEXT,
    FactType.BOOL: BOOL,
    FactType.TEXT_LIST: _LIST + TEXT,
}

_ORDERED_OPERATORS = {
    "lt": ("<", operator.lt),
    "le": ("<=", operator.le),
    "gt": (">", operator.gt),
    "ge": (">=", operator.ge),
}

_ARITHMETIC: dict[str, tuple[str, Callable[[Any, Any], Any]]] = {
    "add": ("+", operator.add),
    "sub": ("-", operator.sub),
    "mul": ("*", operator.mul),
    "tdiv": ("/", _DECIMAL.divide),
    "fdiv": ("//", _DECIMAL.divide_int),
    "mod": ("%", _DECIMAL.remainder),
}

_UNSUPPORTED_LABELS = {
    "TernaryExpression": "the ?: operator",
    "CoalesceExpression": "the ?? operator",
    "BitwiseExpression": "bitwise operators (&, |, ^)",
    "BitwiseShiftExpression": "bit shifts (<<, >>)",
    "ComprehensionExpression": "list comprehensions",
    "FunctionCallExpression": "function calls",
    "GetItemExpression": "indexing ([...])",
    "GetSliceExpression": "slices ([a:b])",
    "TimedeltaExpression": 'time-span literals (t"...")',
    "BytesExpression": "bytes literals",
    "MappingExpression": "mapping literals ({key: value})",
    "FunctionExpression": "functions",
}

_NOT_CONSTANT = object()


def compile_when(rule_name: str, when: str) -> tuple[Predicate, tuple[str, ...]]:
    """Parse, type-check and compile one ``when`` expression.

    Returns the compiled predicate and the fact names it uses. Raises RulesError naming the rule.
    """
    where = f'rule "{rule_name}"'
    if not when.strip():
        raise RulesError(f'{where}: when is empty; write a condition, e.g. when = "orders_count == 1"')
    _screen(where, when)
    try:
        parsed = rule_engine.Rule(when, context=ENGINE_CONTEXT)
    except engine_errors.RuleSyntaxError as error:
        raise RulesError(f"{where}: {_describe_syntax_error(error)}") from None
    except engine_errors.SymbolResolutionError as error:
        raise _unknown_symbol(where, error.symbol_name, error.symbol_scope) from None
    except engine_errors.EngineError as error:
        # rule-engine says only "data type mismatch"; our own checks on an untyped parse say where.
        try:
            untyped = rule_engine.Rule(when, context=_UNTYPED_CONTEXT)
        except engine_errors.EngineError:
            raise RulesError(f"{where}: {error.message} in when") from None
        _Compiler(where).predicate(untyped.statement.expression)
        raise RulesError(f"{where}: {error.message} in when") from None
    compiler = _Compiler(where)
    predicate = compiler.predicate(parsed.statement.expression)
    return predicate, tuple(dict.fromkeys(compiler.symbols))


# Bounds on a condition, far beyond any rule a person writes: what is parsed, folded and compiled
# stays small and quick (a deeper one would exhaust Python's stack, a huge number take minutes).
MAX_WHEN_CHARACTERS = 2_000
MAX_NESTING = 30
MAX_OPERATORS = 100
MAX_NUMBER = decimal.Decimal(10) ** 15
_OPEN, _CLOSE = ("LPAREN", "LBRACKET", "LBRACE"), ("RPAREN", "RBRACKET", "RBRACE")
_OPERANDS = ("FLOAT", "STRING", "SYMBOL", "DATETIME", "BYTES", "TIMEDELTA", "TRUE", "FALSE", "NULL", "COMMENT")
_REGEX_OPERATORS = ("EQ_FZM", "EQ_FZS", "NE_FZM", "NE_FZS")


def _screen(where: str, when: str) -> None:
    """Refuse, before rule-engine parses it, a condition too big or deep to parse safely, a number
    beyond ``MAX_NUMBER``, and what rule-engine would work out while parsing: a regular expression
    matched against fixed text (it folds constants), powers and time spans. Other mistakes are
    left to the parser, which names them."""
    if len(when) > MAX_WHEN_CHARACTERS:
        raise RulesError(f"{where}: when is {len(when):,} characters long; keep it under {MAX_WHEN_CHARACTERS:,}")
    try:
        found = list(tokens(when))
    except engine_errors.RuleSyntaxError:
        return
    depth = operators = 0
    for position, (kind, value) in enumerate(found):
        if kind in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise RulesError(f"{where}: when nests brackets more than {MAX_NESTING} deep; write it flatter")
        elif kind in _CLOSE:
            depth -= 1
        elif kind not in _OPERANDS and kind != "COMMA":
            operators += 1
            if operators > MAX_OPERATORS:
                raise RulesError(f"{where}: when has more than {MAX_OPERATORS} operators; split it into rules")
        if kind == "FLOAT" and _number(value).copy_abs() > MAX_NUMBER:
            raise RulesError(f"{where}: {value} is out of range: numbers in when go up to {MAX_NUMBER:,.0f}")
        if kind == "POW":
            raise RulesError(f"{where}: the ** operator cannot be used in when")
        if kind in ("TIMEDELTA", "BYTES"):
            raise RulesError(f"{where}: {_UNSUPPORTED_LABELS[kind.title() + 'Expression']} cannot be used in when")
        if kind in _REGEX_OPERATORS:
            before = found[position - 1][0] if position else None
            after = found[position + 1][0] if position + 1 < len(found) else None
            if before != "SYMBOL" or after != "STRING":
                raise RulesError(
                    f"{where}: {value} needs a fact on its left and a quoted regular expression on its right, "
                    f'e.g. rfm_segment {value} "^Champ"'
                )


def _number(literal: str) -> decimal.Decimal:
    """A number as rule-engine reads it: decimal, or 0x/0o/0b whole numbers."""
    if literal[:2].lower() in ("0x", "0o", "0b"):
        return decimal.Decimal(int(literal, 0))
    return decimal.Decimal(literal)


def _describe_syntax_error(error: engine_errors.RuleSyntaxError) -> str:
    detail = error.message.split(" at:")[0]
    token = error.token
    if token is None:
        return f"{detail} in when: the condition ends too early"
    return f'{detail} in when at column {token.lexpos + 1} (near "{token.value}")'


def _unknown_symbol(where: str, name: str, scope: str | None) -> RulesError:
    if scope is not None:
        return RulesError(f'{where}: built-in symbol "${name}" is not supported; use the facts (see delight facts)')
    suggestion = _did_you_mean(name, FACTS_BY_NAME)
    return RulesError(f'{where}: unknown fact "{name}"{suggestion or " (see delight facts)"}')


@dataclass(frozen=True)
class _Value:
    """A compiled sub-expression: its kind, a getter over the facts, and its value when constant."""

    kind: str
    get: Callable[[Columns], Sequence[Any]]
    constant: Any = _NOT_CONSTANT
    symbol: str | None = None

    @property
    def is_constant(self) -> bool:
        return self.constant is not _NOT_CONSTANT

    def describe(self) -> str:
        if self.symbol is not None:
            return f"{self.symbol} ({self.kind})"
        if self.is_constant:
            return f"{_show_constant(self.constant)} ({self.kind})"
        return f"a {self.kind} expression"


def _show_constant(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, datetime.date):
        return f'd"{value.isoformat()}"'
    if isinstance(value, tuple | frozenset):
        return "[" + ", ".join(_show_constant(item) for item in value) + "]"
    return str(value)


def _constant(kind: str, value: object) -> _Value:
    return _Value(kind, lambda columns: [value] * len(columns), constant=value)


class _Compiler:
    """Compiles a rule-engine AST into closures, checking types the way the rules language defines them."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.symbols: list[str] = []

    def fail(self, message: str) -> RulesError:
        return RulesError(f"{self.where}: {message}")

    def unsupported(self, node: object) -> RulesError:
        name = type(node).__name__
        return self.fail(f"{_UNSUPPORTED_LABELS.get(name, name)} cannot be used in when")

    # -- true/false expressions --------------------------------------------------------------------

    def predicate(self, node: object) -> Predicate:
        """A closure returning True or False for one customer's facts."""
        if isinstance(node, engine_ast.LogicExpression):
            return self.chain(node)
        if isinstance(node, engine_ast.UnaryExpression) and node.type == "not":
            inner = self.predicate(node.right)
            return lambda columns: [not value for value in inner(columns)]
        if isinstance(node, engine_ast.FuzzyComparisonExpression):
            return self.regex(node)
        if isinstance(node, engine_ast.ArithmeticComparisonExpression):
            return self.ordered(node)
        if isinstance(node, engine_ast.ComparisonExpression):
            return self.equality(node)
        if isinstance(node, engine_ast.ContainsExpression):
            return self.contains(node)
        value = self.value(node)
        if value.kind != BOOL:
            raise self.fail(f"{value.describe()} is not a true/false condition; compare it, e.g. with > or ==")
        if value.is_constant:
            result = bool(value.constant)
            return lambda columns: [result] * len(columns)
        get = value.get
        return lambda columns: [v is True for v in get(columns)]

    def chain(self, node: engine_ast.LogicExpression) -> Predicate:
        """``a and b and ...`` (or ``or``): each part is tested only on the rows the parts before it
        leave undecided, cheapest facts first (``planner.facts.COST``), so the dear ones are worked
        out or looked up for as few customers as possible. Parts have no side effects and a missing
        value makes a comparison false, so the order never changes the answer.
        """
        parts: list[tuple[int, Predicate]] = []
        for part in _chained(node, node.type):
            first_symbol = len(self.symbols)
            predicate = self.predicate(part)
            parts.append((max((COST.get(name, 1) for name in self.symbols[first_symbol:]), default=0), predicate))
        parts.sort(key=lambda cost_and_predicate: cost_and_predicate[0])  # stable: ties keep their order
        return _narrowing([predicate for _cost, predicate in parts], deciding=node.type == "or")

    def equality(self, node: engine_ast.ComparisonExpression) -> Predicate:
        symbol = "==" if node.type == "eq" else "!="
        left, right = self.value(node.left), self.value(node.right)
        if right.kind == NULL or left.kind == NULL:
            other = left if right.kind == NULL else right
            get = other.get
            if node.type == "eq":
                return lambda columns: [v is None for v in get(columns)]
            return lambda columns: [v is not None for v in get(columns)]
        self.check_same_kind(left, right, symbol)
        compare: Callable[[Any, Any], bool] = operator.eq if node.type == "eq" else operator.ne
        if left.kind.startswith(_LIST):
            # Lists compare by items whether a fact arrives as a tuple or a list.
            plain = compare
            compare = lambda a, b: plain(tuple(a), tuple(b))  # noqa: E731
        return _compare(compare, left, right)

    def ordered(self, node: engine_ast.ArithmeticComparisonExpression) -> Predicate:
        symbol, compare = _ORDERED_OPERATORS[node.type]
        left, right = self.value(node.left), self.value(node.right)
        if NULL in (left.kind, right.kind):
            raise self.fail(f'null can only be compared with == or !=, not "{symbol}"')
        self.check_same_kind(left, right, symbol)
        if left.kind not in (NUMBER, TEXT, DATE):
            raise self.fail(f'"{symbol}" cannot order {left.kind} values; use == or !=')
        return _compare(compare, left, right)

    def contains(self, node: engine_ast.ContainsExpression) -> Predicate:
        member, container = self.value(node.member), self.value(node.container)
        if container.kind == TEXT:
            expected = TEXT
        elif container.kind.startswith(_LIST):
            expected = container.kind.removeprefix(_LIST)
        else:
            raise self.fail(f'"in" needs a list or text on its right, not {container.describe()}')
        if member.kind == NULL:
            raise self.fail('"in" cannot look for null; use == null')
        if expected not in ("?", member.kind):
            raise self.fail(f'"in" looks for {member.describe()} among {expected} values')
        get_member = member.get
        if container.is_constant and container.kind != TEXT:
            members = frozenset(container.constant)  # no None inside: a missing member is simply not in it
            return lambda columns: [v in members for v in get_member(columns)]
        return _compare(operator.contains, container, member)

    def regex(self, node: engine_ast.FuzzyComparisonExpression) -> Predicate:
        left, right = self.value(node.left), self.value(node.right)
        if left.kind != TEXT or right.kind != TEXT or not right.is_constant:
            raise self.fail("=~ and !~ need text on the left and a quoted regular expression on the right")
        try:
            # RE2 matches in time linear in the text, whatever the pattern: no pattern in a file
            # can make a plan run for minutes.
            pattern = re2.compile(right.constant, _RE2_OPTIONS)
        except re2.error as error:
            reason = error.args[0].decode("utf-8", "replace") if error.args else "not valid"
            raise self.fail(
                f'invalid regular expression "{right.constant}": {reason} (patterns run in linear time, '
                "without look-arounds or back-references)"
            ) from None
        find = pattern.match if node.type.endswith("fzm") else pattern.search
        get = left.get
        if node.type.startswith("eq"):
            return lambda columns: [t is not None and find(t) is not None for t in get(columns)]
        return lambda columns: [t is not None and find(t) is None for t in get(columns)]

    def check_same_kind(self, left: _Value, right: _Value, symbol: str) -> None:
        if left.kind == right.kind:
            return
        if left.kind.startswith(_LIST) and right.kind.startswith(_LIST) and "?" in left.kind + right.kind:
            return
        raise self.fail(f'cannot compare {left.describe()} with {right.describe()} using "{symbol}"')

    # -- values ------------------------------------------------------------------------------------

    def value(self, node: object) -> _Value:
        """A closure returning the node's value (or None when missing), with its kind."""
        if isinstance(node, engine_ast.SymbolExpression):
            return self.symbol(node)
        if isinstance(
            node,
            engine_ast.LogicExpression
            | engine_ast.ComparisonExpression
            | engine_ast.ContainsExpression
            | engine_ast.UnaryExpression,
        ) and not (isinstance(node, engine_ast.UnaryExpression) and node.type == "uminus"):
            return _Value(BOOL, self.predicate(node))
        if isinstance(node, engine_ast.FloatExpression):
            number: decimal.Decimal = node.value
            if not number.is_finite():
                raise self.fail(f"numbers must be finite, not {number}")
            if number.copy_abs() > MAX_NUMBER:  # worked out by rule-engine from smaller ones, e.g. 1e15 * 1e15
                raise self.fail(f"{number} is out of range: numbers in when go up to {MAX_NUMBER:,.0f}")
            return _constant(NUMBER, int(number) if number == number.to_integral_value() else number)
        if isinstance(node, engine_ast.StringExpression):
            return _constant(TEXT, node.value)
        if isinstance(node, engine_ast.BooleanExpression):
            return _constant(BOOL, node.value)
        if isinstance(node, engine_ast.NullExpression):
            return _constant(NULL, None)
        if isinstance(node, engine_ast.DatetimeExpression):
            return self.date_literal(node.value)
        if isinstance(node, engine_ast.ArrayExpression | engine_ast.SetExpression):
            return self.list_literal(node)
        if isinstance(node, engine_ast.UnaryExpression):  # uminus
            operand = self.value(node.right)
            if operand.kind != NUMBER:
                raise self.fail(f"unary minus needs a number, not {operand.describe()}")
            get = operand.get
            return _Value(NUMBER, lambda columns: [None if v is None else -v for v in get(columns)])
        if isinstance(node, engine_ast.AddExpression | engine_ast.SubtractExpression | engine_ast.ArithmeticExpression):
            return self.arithmetic(node)
        if isinstance(node, engine_ast.GetAttributeExpression):
            return self.attribute(node)
        raise self.unsupported(node)

    def symbol(self, node: engine_ast.SymbolExpression) -> _Value:
        if node.scope is not None or node.name not in FACTS_BY_NAME:
            raise _unknown_symbol(self.where, node.name, node.scope)
        self.symbols.append(node.name)
        return _Value(_FACT_KINDS[FACTS_BY_NAME[node.name].type], _fact_column(node.name), symbol=node.name)

    def date_literal(self, value: datetime.datetime) -> _Value:
        if value.time() != datetime.time(0) or value.utcoffset() != datetime.timedelta(0):
            raise self.fail(f'date facts have no time of day; write the date alone, e.g. d"{value.date()}"')
        return _constant(DATE, value.date())

    def list_literal(self, node: engine_ast.ArrayExpression | engine_ast.SetExpression) -> _Value:
        items = [self.value(member) for member in node.value]
        if not all(item.is_constant for item in items):
            raise self.fail("a [list] in when may only hold fixed values, not facts")
        kinds = {item.kind for item in items}
        if NULL in kinds:
            raise self.fail("a [list] cannot hold null; use == null")
        if len(kinds) > 1:
            raise self.fail(f"a [list] must hold values of one type, not {' and '.join(sorted(kinds))}")
        values = tuple(item.constant for item in items)
        return _constant(_LIST + (kinds.pop() if kinds else "?"), values)

    def arithmetic(
        self, node: engine_ast.AddExpression | engine_ast.SubtractExpression | engine_ast.ArithmeticExpression
    ) -> _Value:
        if node.type not in _ARITHMETIC:
            raise self.fail("the ** operator cannot be used in when")
        symbol, function = _ARITHMETIC[node.type]
        left, right = self.value(node.left), self.value(node.right)
        kinds = (left.kind, right.kind)
        if kinds == (TEXT, TEXT) and symbol == "+":
            kind = TEXT
        elif kinds == (NUMBER, NUMBER):
            kind = NUMBER
        elif DATE in kinds:
            raise self.fail("there is no date arithmetic in when; use the days_since_* and days_until_* facts")
        else:
            raise self.fail(f'"{symbol}" cannot combine {left.describe()} and {right.describe()}')
        get_left, get_right = left.get, right.get

        def apply(a: Any, b: Any) -> Any:
            if a is None or b is None:
                return None
            try:
                return function(a, b)
            except ArithmeticError:  # division by zero: no value, so comparisons with it are false
                return None

        return _Value(kind, lambda columns: list(map(apply, get_left(columns), get_right(columns))))

    def attribute(self, node: engine_ast.GetAttributeExpression) -> _Value:
        target = self.value(node.object)
        if node.name != "length" or not (target.kind == TEXT or target.kind.startswith(_LIST)):
            raise self.fail(f'attribute ".{node.name}" is not supported; only text and lists have .length')
        get = target.get
        return _Value(NUMBER, lambda columns: [None if v is None else len(v) for v in get(columns)])


def _chained(node: object, kind: str) -> list[object]:
    """The parts of a chain of ``kind`` (and/or) expressions, left to right."""
    if isinstance(node, engine_ast.LogicExpression) and node.type == kind:
        return [*_chained(node.left, kind), *_chained(node.right, kind)]
    return [node]


def _narrowing(parts: Sequence[Predicate], *, deciding: bool) -> Predicate:
    """``a and b and ...`` (``deciding`` False) or ``a or b or ...`` (True), testing each part only
    on the rows the parts before it left undecided; the rows are carried from part to part, and
    the answer for every row is written out once at the end."""

    def evaluate(columns: Columns) -> list[bool]:
        count = len(columns)
        undecided: Sequence[int] = range(count)
        for predicate in parts:
            flags = predicate(columns if len(undecided) == count else columns.select(undecided))
            undecided = list(compress(undecided, map(operator.not_, flags) if deciding else flags))
            if not undecided:
                break
        # and: the rows still undecided passed every part; or: they failed every part.
        result = [deciding] * count
        for row in undecided:
            result[row] = not deciding
        return result

    return evaluate


# A fact compared with a fixed value, the commonest test in a rule and run over every customer:
# one comprehension per operator, without a function call per value.
_WITH_CONSTANT: dict[Callable[[Any, Any], bool], Callable[[Sequence[Any], Any], list[bool]]] = {
    operator.lt: lambda values, constant: [a is not None and a < constant for a in values],
    operator.le: lambda values, constant: [a is not None and a <= constant for a in values],
    operator.gt: lambda values, constant: [a is not None and a > constant for a in values],
    operator.ge: lambda values, constant: [a is not None and a >= constant for a in values],
    operator.eq: lambda values, constant: [a is not None and a == constant for a in values],
    operator.ne: lambda values, constant: [a is not None and a != constant for a in values],
}


def _compare(compare: Callable[[Any, Any], bool], left: _Value, right: _Value) -> Predicate:
    """A predicate applying ``compare`` to both sides; false when either side is missing."""
    get_left = left.get
    if right.is_constant:
        constant = right.constant
        with_constant = _WITH_CONSTANT.get(compare)
        if with_constant is not None:
            return lambda columns: with_constant(get_left(columns), constant)
        return lambda columns: [a is not None and compare(a, constant) for a in get_left(columns)]
    get_right = right.get
    return lambda columns: [
        a is not None and b is not None and compare(a, b)
        for a, b in zip(get_left(columns), get_right(columns), strict=True)
    ]


def _fact_column(name: str) -> Callable[[Columns], Sequence[Any]]:
    return lambda columns: columns.column(name)


class OneCustomer:
    """One customer's facts as one-row columns, so a single customer runs the same compiled code."""

    __slots__ = ("facts",)

    def __init__(self, facts: Facts) -> None:
        self.facts = facts

    def __len__(self) -> int:
        return 1

    def column(self, name: str) -> tuple[Any]:
        return (self.facts[name],)

    def select(self, rows: Sequence[int]) -> OneCustomer:
        assert list(rows) == [0]  # a chain narrows one row to all of it or none, and never asks for none
        return self
