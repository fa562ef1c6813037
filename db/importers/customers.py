"""Import customers: upsert by external id, keeping erased customers erased and opt-outs opted out."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from db.importers.results import BadRowSink, ImportSummary
from db.importers.store import (
    CUSTOMER_COLUMNS,
    NEW_CUSTOMER_COLUMNS,
    finish,
    insert_rows,
    next_id,
    rows_by_key,
    update_rows,
)
from db.models import Customer, utc_now
from planner.files.layout import Layout
from planner.files.mapping import Mapping
from planner.files.parsing import parse_bool, parse_date
from planner.files.reading import SourceFile, read_rows

BATCH = 2000
MAX_LENGTHS = {"customer_id": 100, "email": 320, "phone": 40, "postal_code": 20}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
LANGUAGE_WORDS = {
    "ko": "ko",
    "kr": "ko",
    "ko-kr": "ko",
    "ko_kr": "ko",
    "korean": "ko",
    "한국어": "ko",
    "한국": "ko",
    "en": "en",
    "en-us": "en",
    "en_us": "en",
    "en-gb": "en",
    "english": "en",
    "영어": "en",
}
COUNTRY_NAMES = {
    "korea": "KR",
    "south korea": "KR",
    "korea, republic of": "KR",
    "republic of korea": "KR",
    "대한민국": "KR",
    "한국": "KR",
    "united states": "US",
    "usa": "US",
    "미국": "US",
    "japan": "JP",
    "일본": "JP",
    "united kingdom": "GB",
    "canada": "CA",
    "australia": "AU",
}
# Which canonical fields feed which column of the customers table.
SOURCES = {
    "name": ("name", "first_name", "last_name"),
    "first_name": ("first_name",),
    "email": ("email",),
    "phone": ("phone",),
    "language": ("language",),
    "birthday": ("birthday",),
    "postal_code": ("postal_code",),
    "country": ("country",),
    "region": ("region",),
    "city": ("city",),
    "address1": ("address1",),
    "address2": ("address2",),
    "address_name": ("address_name",),
    "address_source": ("address1",),
    "do_not_contact": ("do_not_contact",),
}
# Where a customer's address came from (``customers.address_source``): an order's delivery address,
# which a later order's replaces, or a customers file; empty: entered another way, never replaced.
ORDER_ADDRESS = "order"
CUSTOMERS_ADDRESS = "customers"


def customer_key(record: dict[str, str]) -> str:
    """The external id a row names: its customer_id, else its email lower-cased; "" if neither."""
    return record.get("customer_id", "") or record.get("email", "").lower()


def columns_present(fields: frozenset[str]) -> tuple[str, ...]:
    """The customers-table columns a file with these fields says something about."""
    return tuple(column for column in CUSTOMER_COLUMNS if any(name in fields for name in SOURCES[column]))


def customer_values(
    record: dict[str, str], columns: tuple[str, ...], mapping: Mapping, origin: str = CUSTOMERS_ADDRESS
) -> dict[str, Any]:
    """The table values of ``columns`` from one row's text; ``ValueError("field: reason")`` if one is bad.

    ``origin`` is where an address in the row comes from (``ORDER_ADDRESS`` or ``CUSTOMERS_ADDRESS``).
    """
    values: dict[str, Any] = {}
    for column in columns:
        if column == "name":
            values["name"] = _full_name(record)
        elif column == "language":
            values["language"] = _language(record.get("language", ""), record, mapping)
        elif column == "birthday":
            text = record.get("birthday", "")
            try:
                values["birthday"] = parse_date(text, mapping.date_format) if text else None
            except ValueError as exc:
                raise ValueError(f"birthday: {exc}") from None
        elif column == "country":
            values["country"] = _country(record.get("country", ""))
        elif column == "address_source":
            values["address_source"] = origin if record.get("address1") else None
        elif column == "do_not_contact":
            try:
                values["do_not_contact"] = parse_bool(record.get("do_not_contact", ""))
            except ValueError as exc:
                raise ValueError(f"do_not_contact: {exc}") from None
        else:
            text = record.get(column, "")
            limit = MAX_LENGTHS.get(column)
            if limit and len(text) > limit:
                raise ValueError(f"{column}: longer than {limit} characters")
            if column == "email" and text and "@" not in text:
                raise ValueError(f'email: "{text}" is not an email address')
            values[column] = text or None
    return values


def new_customer_values(
    record: dict[str, str], columns: tuple[str, ...], mapping: Mapping, origin: str = CUSTOMERS_ADDRESS
) -> dict[str, Any]:
    """Values for a customer created from this row; the language guessed from the name if not given."""
    values = customer_values(record, columns, mapping, origin)
    if "language" not in values:
        values["language"] = _language("", record, mapping)
    return values


def _full_name(record: dict[str, str]) -> str | None:
    if record.get("name"):
        return record["name"]
    first, last = record.get("first_name", ""), record.get("last_name", "")
    if _HANGUL.search(first + last):
        return (last + first) or None  # 김 + 민지 → 김민지
    return " ".join(part for part in (first, last) if part) or None


def _language(text: str, record: dict[str, str], mapping: Mapping) -> str:
    if text:
        language = LANGUAGE_WORDS.get(text.strip().lower())
        if language is None:
            raise ValueError(f'language: "{text}" is neither Korean (ko) nor English (en)')
        return language
    name = " ".join(record.get(part, "") for part in ("name", "first_name", "last_name"))
    if _HANGUL.search(name):
        return "ko"
    if _LATIN.search(name):
        return "en"
    return mapping.language


def _country(text: str) -> str | None:
    if not text:
        return None
    if len(text) == 2 and text.isascii() and text.isalpha():
        return text.upper()
    code = COUNTRY_NAMES.get(text.strip().lower())
    if code is None:
        raise ValueError(f'country: "{text}" is not a two-letter country code (e.g. KR, US)')
    return code


def import_customers(
    connection: Connection,
    source: SourceFile,
    layout: Layout,
    mapping: Mapping,
    sink: BadRowSink,
    summary: ImportSummary,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Upsert every good customer row by external id; bad rows go to ``sink``."""
    columns = columns_present(layout.fields)
    batch = _CustomerBatch(connection, columns, summary)
    seen: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, cells in read_rows(source, progress, sink.ragged):
        summary.rows += 1
        record = layout.record(cells)
        key = customer_key(record)
        if not key:
            sink.add(line, "missing customer (no customer_id or email)", cells)
            continue
        if len(key) > MAX_LENGTHS["customer_id"]:
            sink.add(line, "customer_id: longer than 100 characters", cells)
            continue
        try:
            values = customer_values(record, columns, mapping)
        except ValueError as exc:
            sink.add(line, str(exc), cells)
            continue
        if key in seen:
            first_line, first_values = seen[key]
            if first_values != values:
                reason = f'customer "{key}" appears again with different data (first at line {first_line})'
                sink.add(line, reason, cells)
            else:
                summary.warn(f'line {line} repeats customer "{key}" from line {first_line}: ignored')
            continue
        seen[key] = (line, values)
        if "language" not in values:
            values = {**values, "language": _language("", record, mapping)}
        batch.add(key, line, values)
    batch.flush()
    finish(connection, Customer.__table__)


class _CustomerBatch:
    """Customers waiting to be compared with the database and written, a few thousand at a time."""

    def __init__(self, connection: Connection, columns: tuple[str, ...], summary: ImportSummary) -> None:
        self.connection = connection
        self.columns = columns
        self.summary = summary
        self.pending: list[tuple[str, int, dict[str, Any]]] = []
        self.next_id = next_id(connection, Customer.__table__)
        self.now = utc_now()

    def add(self, key: str, line: int, values: dict[str, Any]) -> None:
        self.pending.append((key, line, values))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        table = Customer.__table__
        compared = self.columns
        existing = {
            row.external_id: row
            for row in rows_by_key(
                self.connection,
                table,
                "external_id",
                [key for key, _line, _values in self.pending],
                ("id", "external_id", "erased_at", *compared),
            )
        }
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        counts = self.summary.records
        for key, line, values in self.pending:
            current = existing.get(key)
            if current is None:
                row = {"language": "ko", "do_not_contact": False, **values}
                inserts.append((self.next_id, key, *(row.get(column) for column in CUSTOMER_COLUMNS), self.now))
                self.next_id += 1
                counts.added += 1
                continue
            if current.erased_at is not None:
                counts.skipped_erased += 1
                self.summary.warn(f'line {line}: customer "{key}" asked to be forgotten: kept erased, row skipped')
                continue
            wanted = {column: values[column] for column in compared}
            if "do_not_contact" in wanted:
                # An opt-out survives any later file that says otherwise.
                wanted["do_not_contact"] = bool(current.do_not_contact) or wanted["do_not_contact"]
            if all(getattr(current, column) == wanted[column] for column in compared):
                counts.unchanged += 1
            else:
                updates.append({"id": current.id, **wanted})
                counts.updated += 1
        insert_rows(self.connection, table, NEW_CUSTOMER_COLUMNS, inserts)
        update_rows(self.connection, table, updates)
        self.pending = []
