"""Rules: the week's budget, the gesture kinds, the writing team and the rules that pick customers.

A rules file is TOML (see ``default_rules.toml``, shown by ``delight rules show``). Everything in it
is validated when it is loaded, and every problem is one :class:`~planner.core.errors.RulesError` line that
names the thing and the fix.

Each rule's ``when`` is an expression over the customer facts in :data:`planner.core.facts.FACTS`. It is
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
import re
import string
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.core.errors import RulesError
from planner.core.facts import FACTS, FACTS_BY_NAME
from planner.core.limits import MAX_AMOUNT, MAX_COUNT, MAX_DAYS, in_amount_range
from planner.core.money import CURRENCIES
from planner.files.textfiles import parse_toml, read_utf8
from planner.words import phrases

if TYPE_CHECKING:
    from planner.core.conditions import Condition

Facts = Mapping[str, object]
"""One customer's facts: every name in FACTS mapped to its value, or None when it is missing."""

LANGUAGES = frozenset({"ko", "en"})
"""Languages a writer can write in (and a customer can prefer)."""

REASON_EXTRA_NAMES: dict[str, str] = {"first_name": "The customer's first (given) name."}
"""Names a ``reason`` template may use besides the facts; the planner supplies their values."""

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
    this gift logged sent on or after that day comes off it (``planner.services.gifts``). ``None``: not
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
    """One rule: when its condition holds for a customer's facts, it proposes ``gesture``.

    ``when`` is compiled to a polars expression (``planner.core.conditions``) the first time it is
    needed, for the shop's currency: commands that never test a condition never load the parser.
    ``facts_used`` lists the fact names the condition refers to, in order of first use.
    """

    name: str
    gesture: str
    when: str
    priority: int
    reasons: Mapping[str, str] = field(compare=False)  # the ``reason`` by language ("ko", "en"); may be empty
    facts_used: tuple[str, ...] = ()
    occasion: str | None = None

    def condition(self, currency: str) -> Condition:
        """The compiled ``when`` for a facts frame whose money is in ``currency``; RulesError if it is not valid."""
        from planner.core.conditions import compiled

        return compiled(self.name, self.when, currency)

    def matches(self, facts: Facts, currency: str) -> bool:
        """Whether the condition holds for one customer's facts (money as Decimal in ``currency``)."""
        from planner.core.conditions import holds

        return holds(self.condition(currency), facts, currency)

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
        values per name (facts plus ``first_name``), each fact in words (``planner.words.phrases``).

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

    def check_conditions(self) -> RuleSet:
        """Compile every rule's ``when`` (loading the parser), so a condition that is not valid stops
        here with its one line; returns the rules."""
        for rule in self.rules:
            rule.condition(self.currency)
        return self

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


@functools.lru_cache(maxsize=16)
def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Parse and validate the text of a rules file; ``source`` names it in TOML syntax errors.

    The same text gives the same (immutable) rules, worked out once: the desk reads the file
    several times a request, and checking it again each time (a few milliseconds) added up.

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
        facts_used = facts_named(when)
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
        decimals = CURRENCIES[currency][1] if currency in CURRENCIES else None
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


_QUOTED = re.compile(r"""(?:[dbrs]?"(?:[^"\\]|\\.)*"|[dbrs]?'(?:[^'\\]|\\.)*')""")
_NAME = re.compile(r"\b[a-z_][a-z0-9_]*\b")


def facts_named(when: str) -> tuple[str, ...]:
    """The facts a condition names, in order of first use, read off its text (quoted text and
    comments left out) without parsing it: what a rule's occasion and a plan's reasons need."""
    text = "\n".join(line.split("#", 1)[0] for line in _QUOTED.sub(" ", when).splitlines())
    return tuple(dict.fromkeys(name for name in _NAME.findall(text) if name in FACTS_BY_NAME))
