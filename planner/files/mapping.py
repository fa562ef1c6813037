"""Which column holds which field: canonical fields, ``--map`` pairs and mapping files.

A mapping file is TOML::

    [columns]
    "주문번호" = "order_id"
    "주문일시" = "placed_at"

    decimal_comma = false      # "1.234,50" means 1234.50
    currency = "KRW"           # when no column or symbol says
    timezone = "Asia/Seoul"    # for dates written without an offset
    date_format = "%Y년 %m월 %d일"  # optional strftime pattern
    language = "ko"            # for customers a file says nothing about

    [status]                   # the file's words for paid / refunded / cancelled
    "배송완료" = "paid"

Values from files are data: a mapping only ever names fields from the fixed lists below.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.core.errors import InputError
from planner.core.money import exponent
from planner.files.textfiles import parse_toml, read_utf8

FIELDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id",
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "language",
        "birthday",
        "address1",
        "address2",
        "city",
        "region",
        "postal_code",
        "country",
        "do_not_contact",
    ),
    "orders": (
        "order_id",
        "customer_id",
        "email",
        "name",
        "placed_at",
        "total",
        "currency",
        "status",
        "item_name",
        "item_sku",
        "quantity",
        "unit_price",
    ),
    "feedback": ("feedback_id", "customer_id", "order_id", "kind", "rating", "text", "received_at"),
}
KINDS = tuple(FIELDS)
LANGUAGES = ("ko", "en")
OPTION_KEYS = ("decimal_comma", "currency", "timezone", "date_format", "language")
STATUSES = ("paid", "refunded", "cancelled")


@dataclass(frozen=True)
class Mapping:
    """How to read one file: column → field, plus the shop's defaults for what cells leave out."""

    columns: dict[str, str] = field(default_factory=dict)
    decimal_comma: bool = False
    currency: str = "KRW"
    timezone: str = "Asia/Seoul"
    date_format: str | None = None
    language: str = "ko"
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone, for dates written without an offset."""
        return ZoneInfo(self.timezone)


def parse_map_options(pairs: Iterable[str]) -> dict[str, str]:
    """``["주문번호=order_id", ...]`` → ``{"주문번호": "order_id"}``; the last ``=`` splits."""
    columns: dict[str, str] = {}
    for pair in pairs:
        source, separator, target = pair.rpartition("=")
        if not separator or not source.strip() or not target.strip():
            raise InputError(f'--map "{pair}": write it as \'SOURCE COLUMN=field\', e.g. --map "주문번호=order_id"')
        columns[source.strip()] = target.strip()
    return columns


def load_mapping(path: Path | None, pairs: Iterable[str] = (), **overrides: object) -> Mapping:
    """The mapping from a TOML file (optional), with ``--map`` pairs and options on top; checked."""
    mapping = Mapping()
    if path is not None:
        mapping = _read_toml(path)
    columns = {**mapping.columns, **parse_map_options(pairs)}
    given = {key: value for key, value in overrides.items() if value is not None}
    mapping = replace(mapping, columns=columns, **given)  # type: ignore[arg-type]
    _check_options(mapping, str(path) if path else "options")
    return mapping


def _read_toml(path: Path) -> Mapping:
    text = read_utf8(path, "mapping file", InputError)
    data = parse_toml(f"mapping file {path}", text, InputError)
    unknown = sorted(set(data) - {"columns", "status", *OPTION_KEYS})
    if unknown:
        raise InputError(
            f'mapping file {path}: unknown setting "{unknown[0]}" '
            f"(known: [columns], [status], {', '.join(OPTION_KEYS)})"
        )
    for table in ("columns", "status"):
        section = data.get(table, {})
        if not isinstance(section, dict) or not all(isinstance(value, str) for value in section.values()):
            raise InputError(f'mapping file {path}: [{table}] must hold lines like "column name" = "field"')
    options = {key: data[key] for key in OPTION_KEYS if key in data}
    expected = {"decimal_comma": bool, "currency": str, "timezone": str, "date_format": str, "language": str}
    for key, value in options.items():
        if not isinstance(value, expected[key]):
            raise InputError(f'mapping file {path}: "{key}" must be a {expected[key].__name__}')
    statuses = {source.strip().lower(): target for source, target in data.get("status", {}).items()}
    return Mapping(columns=dict(data.get("columns", {})), statuses=statuses, **options)


def _check_options(mapping: Mapping, where: str) -> None:
    exponent(mapping.currency)
    try:
        mapping.zone  # noqa: B018 - loading it is the check
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f'{where}: unknown time zone "{mapping.timezone}" (e.g. "Asia/Seoul", "UTC")') from None
    if mapping.language not in LANGUAGES:
        raise InputError(f'{where}: language must be "ko" or "en", not "{mapping.language}"')
    for source, target in mapping.statuses.items():
        if target not in STATUSES:
            raise InputError(f'{where}: status "{source}" maps to "{target}": use paid, refunded or cancelled')


def normalise_header(name: str) -> str:
    """``"Order ID "`` → ``"order_id"``: how a column is matched to a canonical field by name."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def resolve_columns(kind: str, header: list[str], mapping: Mapping, where: str) -> dict[str, int]:
    """Field → column index for this file; columns named like a field need no mapping.

    Raises ``InputError`` for a mapping that names an unknown field or a column the
    file does not have.
    """
    fields = FIELDS[kind]
    positions = {name.strip().lstrip("\ufeff"): index for index, name in enumerate(header)}
    folded = {name.lower(): index for name, index in positions.items()}
    resolved: dict[str, int] = {}
    mapped = set(mapping.columns.values())  # a field --map names is read from that column alone
    for index, name in enumerate(header):
        normal = normalise_header(name)
        if normal in fields and normal not in mapped:
            if normal in resolved:
                raise InputError(
                    f'{where}: the columns "{header[resolved[normal]]}" and "{name}" both read as {normal}: '
                    "rename or remove one"
                )
            resolved[normal] = index
    for source, target in mapping.columns.items():
        if target not in fields:
            raise InputError(f'--map "{source}={target}": {_unknown_field(kind, target)}')
        index = positions.get(source.strip(), folded.get(source.strip().lower()))
        if index is None:
            columns = ", ".join(name for name in header if name)[:200]
            raise InputError(f'{where}: no column "{source}" to map to {target} (the columns are: {columns})')
        resolved[target] = index
    return resolved


def _unknown_field(kind: str, name: str) -> str:
    close = difflib.get_close_matches(name, FIELDS[kind], n=1)
    hint = f'did you mean "{close[0]}"?' if close else "fields: " + ", ".join(FIELDS[kind])
    return f'unknown {kind} field "{name}" ({hint})'
