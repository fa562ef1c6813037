"""Reading the team's own text files (templates, lexicons): UTF-8 TOML with one-line errors."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from planner.core.errors import DelightError

# A settings or text file a person wrote is a few pages; reading stops well past that, so a device
# given by mistake (/dev/zero never ends) or a huge file is an error, not all the memory there is.
MAX_TEXT_FILE_BYTES = 8 * 1024 * 1024


def read_utf8(path: Path, what: str, error: type[DelightError]) -> str:
    """The text of ``path`` (a BOM is fine); ``error`` names ``what`` the file is when it cannot be read.

    Every text file delight reads whole (rules, mappings, templates, lexicons, a text to check)
    comes through here.
    """
    try:
        with path.open("rb") as file:
            data = file.read(MAX_TEXT_FILE_BYTES + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise error(f"{what} {path} is bigger than {MAX_TEXT_FILE_BYTES // 2**20} MB: not a file to read whole")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text; save it as UTF-8") from None


def shipped_sources(folder: str, what: str) -> list[tuple[str, str]]:
    """(source name, text) of each ``*.toml`` the package ships in ``planner/words/<folder>``, by name."""
    shipped = resources.files("planner.words") / folder
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
        raise error(f"{source}: TOML syntax error: {exc}{_quoting_hint(text, str(exc))}") from None
    except RecursionError:  # tomllib reads nested arrays and inline tables recursively
        raise error(f"{source}: lists or tables nested too deeply; a settings file needs a few levels") from None


_ERROR_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _quoting_hint(text: str, message: str) -> str:
    """How to write a key TOML reads only in quotes (민지, "Kim Minji"), when the failing line has one."""
    found = _ERROR_LINE.search(message)
    lines = text.splitlines()
    if found is None or not 0 < int(found.group(1)) <= len(lines):
        return ""
    line = lines[int(found.group(1)) - 1].strip()
    header = re.fullmatch(r"\[\[?([^\]\"']+)\]\]?", line)
    key = header.group(1) if header else line.split("=", 1)[0] if "=" in line else None
    if key is None:
        return ""
    parts = [part.strip() for part in key.split(".")]
    odd = next((part for part in parts if part and not _BARE_KEY.fullmatch(part)), None)
    if odd is None:
        return ""
    quoted = ".".join(f'"{part}"' if part == odd else part for part in parts)
    example = f"[{quoted}]" if header else f"{quoted} = ..."
    return f"; a name other than plain letters, digits, - and _ needs quotes: {example}"


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
