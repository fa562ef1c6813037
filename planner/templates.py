"""The words delight suggests: template variants per gesture kind and language.

Templates are plain TOML the team can read and edit. A variant is used for a customer
only if every placeholder in it is known for them, and never twice for the same customer.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from planner.errors import RulesError

PLACEHOLDERS = frozenset({"first_name", "last_item", "years"})


@dataclass(frozen=True)
class Template:
    """One variant of the words for a gesture kind in a language."""

    id: str
    kind: str
    language: str
    text: str
    placeholders: frozenset[str]

    def fits(self, values: Mapping[str, str | None]) -> bool:
        """True when every placeholder has a value for this customer."""
        return all(values.get(name) for name in self.placeholders)

    def render(self, values: Mapping[str, str | None]) -> str:
        """The text with placeholders filled in; call only when ``fits``."""
        return self.text.format_map({name: values[name] for name in self.placeholders})


@dataclass(frozen=True)
class TemplateLibrary:
    """All templates, grouped for the planner."""

    templates: tuple[Template, ...]

    def variants(self, kind: str, language: str) -> list[Template]:
        """The variants for a kind and language, in file order."""
        return [t for t in self.templates if t.kind == kind and t.language == language]


def load_templates(path: Path | None = None) -> TemplateLibrary:
    """Load a template file (default: the one shipped with delight), checking every entry."""
    if path is None:
        source, text = (
            "default templates",
            (resources.files("planner") / "templates" / "default.toml").read_text("utf-8"),
        )
    else:
        try:
            source, text = str(path), path.read_text("utf-8")
        except OSError as exc:
            raise RulesError(f"cannot read templates {path}: {exc.strerror}") from None
    try:
        entries = tomllib.loads(text).get("template", [])
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: {exc}") from None
    templates = []
    seen: set[str] = set()
    for entry in entries:
        template_id = str(entry.get("id", ""))
        if not template_id or template_id in seen:
            raise RulesError(f'{source}: every template needs a unique id (problem at "{template_id}")')
        seen.add(template_id)
        names = {name for _, name, _, _ in string.Formatter().parse(entry.get("text", "")) if name is not None}
        unknown = names - PLACEHOLDERS
        if unknown:
            raise RulesError(
                f'{source}: template "{template_id}" uses unknown placeholder "{sorted(unknown)[0]}" '
                f"(use {', '.join(sorted(PLACEHOLDERS))})"
            )
        templates.append(Template(template_id, entry["kind"], entry["language"], entry["text"], frozenset(names)))
    return TemplateLibrary(tuple(templates))
