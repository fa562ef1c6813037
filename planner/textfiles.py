"""Reading the team's own text files (templates, lexicons): UTF-8 TOML with one-line errors."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from planner.errors import DelightError


def read_utf8(path: Path, what: str, error: type[DelightError]) -> str:
    """The text of ``path`` (a BOM is fine); ``error`` names ``what`` the file is when it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text; save it as UTF-8") from None


def shipped_sources(folder: str, what: str) -> list[tuple[str, str]]:
    """(source name, text) of each ``*.toml`` the package ships in ``planner/<folder>``, by name."""
    shipped = resources.files("planner") / folder
    return [
        (f"shipped {what} {entry.name}", entry.read_text("utf-8"))
        for entry in sorted(shipped.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]


# Settings files (rules, mappings, templates, lexicons) are a few pages of text with tables two or
# three levels deep; far past that, a file is a mistake or an attack, not settings.
MAX_TOML_CHARACTERS = 2_000_000


def parse_toml(source: str, text: str, error: type[DelightError]) -> dict[str, Any]:
    """TOML text as a table; a syntax error, a file too big or nested too deep becomes ``error``
    naming ``source``. Every TOML file delight reads comes through here."""
    if len(text) > MAX_TOML_CHARACTERS:
        raise error(f"{source}: {len(text):,} characters is too big for a settings file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: TOML syntax error: {exc}") from None
    except RecursionError:  # tomllib reads nested arrays and inline tables recursively
        raise error(f"{source}: lists or tables nested too deeply; a settings file needs a few levels") from None


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Entry = TypeVar("Entry", bound=_Identified)


def parse_entries(
    source: str,
    entries: list[Any],
    parse: Callable[[str, int, object], Entry],
    what: str,
    error: type[DelightError],
) -> list[Entry]:
    """Each ``[[what]]`` table parsed by ``parse(source, number, entry)``; an id used twice is ``error``."""
    parsed: list[Entry] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        item = parse(source, number, entry)
        if item.id in seen:
            raise error(f'{source}: {what} "{item.id}" is defined twice; give each {what} a unique id')
        seen.add(item.id)
        parsed.append(item)
    return parsed
