"""The words delight suggests: template variants per gesture kind and language.

Templates are plain TOML the team can read and edit: the shipped files in
``planner/templates/``, then the team's own folder of ``*.toml`` (``--templates-dir``,
``$DELIGHT_TEMPLATES`` or ``./delight-templates/``). A team template with a shipped id
replaces it; any other id adds a variant.

A variant is used for a customer only if every placeholder in it is known for them, its
``occasions`` (if any) include the occasion of the rule that chose them, and it was never
used for them before. Every template is tone-checked when loaded: one with a blocking flag
is an error that names the template and the flag, so the planner never uses it.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from planner.core.errors import TemplateError
from planner.core.rules import LANGUAGES, OCCASIONS
from planner.files.textfiles import parse_entries, parse_toml, read_utf8, shipped_sources
from planner.words.tone import Flag, Lexicon, check_text, load_lexicon
from planner.words.tone_memory import remembered

PLACEHOLDERS = frozenset({"first_name", "last_item", "years", "occasion"})

# {occasion} as a noun for the celebrations; for we_miss_you and thanks it is not known,
# so a variant using {occasion} never fits them (restrict it with ``occasions`` to be clear).
OCCASION_WORDS: dict[str, dict[str, str]] = {
    "ko": {"birthday": "생일", "anniversary": "첫 주문 기념일", "first_order": "첫 주문", "milestone": "뜻깊은 주문"},
    "en": {
        "birthday": "birthday",
        "anniversary": "anniversary with us",
        "first_order": "first order",
        "milestone": "milestone order",
    },
}

_NAME_START = {"ko": "{first_name}님, ", "en": "{first_name}, "}

TEAM_TEMPLATES_ENV = "DELIGHT_TEMPLATES"
TEAM_TEMPLATES_DIR = "delight-templates"

_KEYS = ("id", "kind", "language", "text", "occasions", "timing", "fallback")

# When the words reach the customer, against the day they are for (a birthday, an anniversary):
# before it, on it, or after it. A variant with a ``timing`` fits only those moments; one without
# must not speak of the day as today, tomorrow or past.
TIMINGS = ("ahead", "on_the_day", "belated")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


@dataclass(frozen=True)
class Template:
    """One variant of the words for a gesture kind in a language.

    ``occasions`` empty means any occasion (or none). ``fallback`` marks a variant written
    for when nothing personal is known: it needs no placeholder and is chosen last.
    """

    id: str
    kind: str
    language: str
    text: str
    placeholders: frozenset[str]
    occasions: frozenset[str] = frozenset()
    fallback: bool = False
    source: str = "shipped"
    timing: frozenset[str] = frozenset()

    def suits(self, occasion: str | None, timing: str | None) -> bool:
        """True when the variant is written for this occasion (or any) and this timing (or any)."""
        return (not self.occasions or occasion in self.occasions) and (not self.timing or timing in self.timing)

    def fits(self, values: Mapping[str, str | None], occasion: str | None = None, timing: str | None = None) -> bool:
        """True when it ``suits`` the moment and every placeholder has a value for this customer."""
        return self.suits(occasion, timing) and all(values.get(name) for name in self.placeholders)

    @property
    def opener(self) -> str:
        """The first sentence as written in the template, before a name is filled in, as compared
        for variety: a leading "{first_name}님, " or "{first_name}, " greeting does not count."""
        return opener_key(self.text.removeprefix(_NAME_START.get(self.language, "")))

    def render(self, values: Mapping[str, str | None]) -> str:
        """The text with placeholders filled in; call only when ``fits``."""
        return self.text.format_map({name: values[name] for name in self.placeholders})


@dataclass(frozen=True)
class TemplateLibrary:
    """All templates, grouped for the planner."""

    templates: tuple[Template, ...]
    sources: tuple[str, ...] = ()

    def variants(self, kind: str, language: str) -> list[Template]:
        """The variants for a kind and language, in file order."""
        return [t for t in self.templates if t.kind == kind and t.language == language]


def occasion_word(occasion: str | None, language: str) -> str | None:
    """What ``{occasion}`` becomes for a customer: 생일 / birthday, or None when it has no word."""
    return OCCASION_WORDS.get(language, {}).get(occasion or "")


def opener(message: str) -> str:
    """The first sentence of a message: the suggested opener a writer starts from."""
    return _SENTENCE_END.split(message.strip(), maxsplit=1)[0].strip()


def opener_key(message: str) -> str:
    """The opener as compared for repetition: spacing, case and closing punctuation ignored."""
    return " ".join(opener(message).split()).casefold().rstrip(".!?。！？~ ")


def team_templates_dir(explicit: Path | None = None) -> Path | None:
    """The team's folder: ``explicit``, else ``$DELIGHT_TEMPLATES``, else ./delight-templates/ if present."""
    if explicit is not None:
        return explicit
    if os.environ.get(TEAM_TEMPLATES_ENV):
        return Path(os.environ[TEAM_TEMPLATES_ENV])
    default = Path(TEAM_TEMPLATES_DIR)
    return default if default.is_dir() else None


def read_templates(team: Path | None = None) -> TemplateLibrary:
    """Parse the shipped templates and the team's folder, checking every entry (but not their tone)."""
    sources = shipped_sources("templates", "templates")
    folder = team_templates_dir(team)
    if folder is not None:
        if not folder.is_dir():
            raise TemplateError(f"templates folder {folder} does not exist: give a folder of .toml files")
        sources += [(str(file), read_utf8(file, "templates", TemplateError)) for file in sorted(folder.glob("*.toml"))]
    by_id: dict[str, Template] = {}
    for source, text in sources:
        for template in _parse(source, text):
            by_id[template.id] = template  # a team file replaces a shipped variant in place
    return TemplateLibrary(tuple(by_id.values()), tuple(source for source, _ in sources))


def load_templates(
    team: Path | None = None, lexicon: Lexicon | None = None, connection: Connection | None = None
) -> TemplateLibrary:
    """The templates the planner may use: ``read_templates``, refusing any with a blocking tone flag.

    With a ``connection``, what the tone analyser saw in each template is remembered in the store
    (``planner.words.tone_memory``), so only new or changed words are analysed. Raises TemplateError
    naming the first blocked template and its flag.
    """
    library = read_templates(team)
    blocked = [flag for flag in tone_flags(library, lexicon or load_lexicon(), connection) if flag.blocking]
    if blocked:
        flag = blocked[0]
        source = next(t.source for t in library.templates if t.id == flag.subject)
        found = f' "{flag.matched}"' if flag.matched else ""
        raise TemplateError(
            f'template "{flag.subject}" ({source}) has a blocking tone flag [{flag.rule_id}]{found}: {flag.why} '
            f"— change its words (try: {flag.suggestion}); `delight tone check --templates` lists every flag"
        )
    return library


def tone_flags(library: TemplateLibrary, lexicon: Lexicon, connection: Connection | None = None) -> list[Flag]:
    """Every tone flag on every template, each naming its template; analyses remembered as ``load_templates`` says."""
    analysed = [(t.text, t.language) for t in library.templates if lexicon.analyses(t.language)]
    analyses = remembered(analysed, connection)
    flags = []
    for template in library.templates:
        flags += check_text(
            template.text,
            lexicon,
            language=template.language,
            subject=template.id,
            expect_personal=not template.fallback,
            analysis=analyses.get((template.text, template.language)),
        )
    return flags


def _parse(source: str, text: str) -> list[Template]:
    data = parse_toml(source, text, TemplateError)
    entries = data.get("template", [])
    if set(data) - {"template"} or not isinstance(entries, list):
        raise TemplateError(f"{source}: write each variant as [[template]] with id, kind, language and text")
    return parse_entries(source, entries, _parse_entry, "template", TemplateError)


def _parse_entry(source: str, number: int, entry: object) -> Template:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"].strip():
        raise TemplateError(f'{source}: template #{number} needs an id, e.g. id = "note-ko-9"')
    where = f'{source}: template "{entry["id"]}"'
    for key in entry:
        if key not in _KEYS:
            raise TemplateError(f'{where}: unknown key "{key}" (use {", ".join(_KEYS)})')
    for key in ("kind", "language", "text"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise TemplateError(f'{where}: needs {key} = "..."')
    if entry["language"] not in LANGUAGES:
        raise TemplateError(f'{where}: language "{entry["language"]}" must be "ko" or "en"')
    occasions = entry.get("occasions", [])
    if not isinstance(occasions, list) or any(o not in OCCASIONS for o in occasions):
        raise TemplateError(f"{where}: occasions must be a list of {', '.join(OCCASIONS)}")
    timing = entry.get("timing", [])
    if not isinstance(timing, list) or any(t not in TIMINGS for t in timing):
        raise TemplateError(f"{where}: timing must be a list of {', '.join(TIMINGS)}")
    fallback = entry.get("fallback", False)
    if not isinstance(fallback, bool):
        raise TemplateError(f"{where}: fallback must be true or false")
    names = _placeholders(where, entry["text"])
    if fallback and names:
        raise TemplateError(f"{where}: a fallback variant is for when nothing is known, so it takes no placeholders")
    return Template(
        entry["id"],
        entry["kind"],
        entry["language"],
        entry["text"],
        names,
        frozenset(occasions),
        fallback,
        source,
        frozenset(timing),
    )


def _placeholders(where: str, text: str) -> frozenset[str]:
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateError(f'{where}: unmatched "{{" or "}}"; write {{{{ or }}}} for a brace') from None
    names = set()
    for _literal, name, spec, conversion in pieces:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise TemplateError(
                f'{where}: unknown placeholder "{{{name}}}" (use {", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))})'
            )
        names.add(name)
    return frozenset(names)
