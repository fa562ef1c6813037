"""The desk's words in Korean and English (``words/ko.toml``, ``words/en.toml``), and which to use.

A person's own setting wins; otherwise the browser's Accept-Language; otherwise the team's
language from the rules file. Customer text is never looked up here: it is shown as it is.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from planner.core.money import format_money
from planner.services.listening import WHY_WORDS
from planner.words import phrases

LANGUAGES = ("ko", "en")


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every word of one language, by dotted key ("nav.week")."""
    text = (importlib.resources.files("planner.desk") / "words" / f"{language}.toml").read_text(encoding="utf-8")
    flat: dict[str, str] = {}

    def walk(table: dict[str, object], prefix: str) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = str(value)

    walk(tomllib.loads(text), "")
    return flat


def choose_language(own: str | None, accept_language: str | None, fallback: str) -> str:
    """The person's setting, else the browser's first language the desk speaks, else ``fallback``."""
    if own in LANGUAGES:
        return own
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else (fallback if fallback in LANGUAGES else "en")


class Words:
    """The words of one language, for templates: ``t("nav.week")``, ``t.kind("small_gift")``."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self.zone = ZoneInfo(timezone)
        self._table = catalogue(language)

    def __call__(self, key: str, **values: object) -> str:
        text = self._table[key]
        return text.format(**values) if values else text

    def _named(self, group: str, name: str | None) -> str:
        if not name:
            return ""
        return self._table.get(f"{group}.{name}", name.replace("_", " "))

    def kind(self, kind: str) -> str:
        """A gesture kind: "small_gift" → "Small gift" / "작은 선물"."""
        return self._named("kind", kind)

    def status(self, status: str) -> str:
        """A gesture's or feedback's status."""
        return self._named("status", status)

    def constraint(self, name: str) -> str:
        """What removed a candidate from a plan ("cooldown" → "쉬는 기간"), a kind's own capacity
        included ("capacity: small_gift" → "주간 수용량: 작은 선물")."""
        general, _, kind = name.partition(": ")
        if kind and f"constraint.{general}" in self._table:
            return f"{self._table[f'constraint.{general}']}: {self.kind(kind)}"
        return self._table.get(f"constraint.{name}", name)

    def listening(self, why: str) -> str:
        """Why a customer is owed a person ("open complaint" → "해결되지 않은 불만")."""
        return WHY_WORDS[self.language].get(why, why)

    def days(self, count: int) -> str:
        """A number of days: "1 day", "3 days" / "3일"."""
        if self.language == "ko":
            return f"{count}일"
        return f"{count} day" if count == 1 else f"{count} days"

    def day(self, value: date | None) -> str:
        """A short calendar day: "12/3 (목)" / "Thu 3 Dec"."""
        if value is None:
            return ""
        return phrases.day(value, self.language) if self.language == "en" else _short_korean(value)

    def moment(self, value: datetime | None) -> str:
        """A moment in the shop's time zone: "2026-12-03 14:05"."""
        return "" if value is None else value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def money(self, amount: Decimal | None, currency: str) -> str:
        """Money as people read it: "₩594,500"."""
        return "" if amount is None else format_money(amount, currency)


def _short_korean(value: date) -> str:
    weekdays = "월화수목금토일"
    return f"{value.month}월 {value.day}일 ({weekdays[value.weekday()]})"
