"""Import reviews, complaints, survey answers and requests: upsert by external id.

A feedback row must name a customer already in the database (import customers or
orders first); an order it names must exist too. Replies and resolutions recorded
in delight are never touched by a re-import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from db.importers.results import BadRowSink, ImportSummary
from db.importers.store import CustomerDirectory, insert_rows, rows_by_key, update_rows
from db.models import Feedback, Order
from planner.files.layout import Layout
from planner.files.mapping import Mapping
from planner.files.parsing import parse_datetime, parse_int
from planner.files.reading import SourceFile, read_rows

BATCH = 2000
MAX_ID_LENGTH = 100
KIND_WORDS = {
    "": "review",
    "review": "review",
    "리뷰": "review",
    "후기": "review",
    "상품평": "review",
    "complaint": "complaint",
    "불만": "complaint",
    "클레임": "complaint",
    "민원": "complaint",
    "survey": "survey",
    "설문": "survey",
    "request": "request",
    "요청": "request",
    "문의": "request",
}
COMPARED = ("customer_id", "order_id", "kind", "rating", "text", "received_at")
NEW_COLUMNS = ("external_id", *COMPARED)


def import_feedback(
    connection: Connection,
    source: SourceFile,
    layout: Layout,
    mapping: Mapping,
    sink: BadRowSink,
    summary: ImportSummary,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Upsert every good feedback row by external id; bad rows go to ``sink``."""
    directory = CustomerDirectory(connection)
    zone = mapping.zone
    occurrences: dict[bytes, int] = {}
    seen: dict[str, int] = {}
    pending: list[tuple[int, list[str], str, str, dict[str, Any]]] = []
    for line, cells in read_rows(source, progress, sink.ragged):
        summary.rows += 1
        record = layout.record(cells)
        try:
            external_id, values = _parse(record, zone, mapping, occurrences)
        except ValueError as exc:
            sink.add(line, str(exc), cells)
            continue
        key = record.get("customer_id", "")
        customer_id = directory.find(key, key if "@" in key else "")
        if customer_id is None:
            sink.add(line, f'unknown customer "{key}" (import customers or orders first)', cells)
            continue
        if external_id in seen:
            sink.add(line, f'duplicate feedback "{external_id}" (first at line {seen[external_id]})', cells)
            continue
        seen[external_id] = line
        if customer_id in directory.erased:
            summary.records.skipped_erased += 1
            summary.warn(f'line {line}: customer "{key}" asked to be forgotten: their feedback was skipped')
            continue
        values["customer_id"] = customer_id
        pending.append((line, cells, external_id, record.get("order_id", ""), values))
        if len(pending) >= BATCH:
            _flush(connection, pending, sink, summary)
            pending = []
    _flush(connection, pending, sink, summary)


def _parse(
    record: dict[str, str], zone: Any, mapping: Mapping, occurrences: dict[bytes, int]
) -> tuple[str, dict[str, Any]]:
    if not record.get("customer_id"):
        raise ValueError("missing customer (no customer_id)")
    kind = KIND_WORDS.get(record.get("kind", "").lower())
    if kind is None:
        raise ValueError(f'kind: unknown kind "{record["kind"]}" (use review, complaint, survey or request)')
    rating_text = record.get("rating", "")
    rating = None
    if rating_text:
        try:
            rating = parse_int(rating_text)
        except ValueError as exc:
            raise ValueError(f"rating: {exc}") from None
        if not 1 <= rating <= 5:
            raise ValueError(f"rating: {rating} is not between 1 and 5")
    try:
        received_at: datetime = parse_datetime(record.get("received_at", ""), zone, mapping.date_format)
    except ValueError as exc:
        raise ValueError(f"received_at: {exc}") from None
    text = record.get("text", "") or None
    values = {"kind": kind, "rating": rating, "text": text, "received_at": received_at}
    external_id = record.get("feedback_id", "")
    if len(external_id) > MAX_ID_LENGTH:
        raise ValueError("feedback_id: longer than 100 characters")
    if not external_id:
        fingerprint = "\x1f".join(
            (record["customer_id"], record.get("order_id", ""), kind, str(rating), text or "", received_at.isoformat())
        )
        digest = hashlib.blake2b(fingerprint.encode(), digest_size=8).digest()
        occurrences[digest] = occurrences.get(digest, 0) + 1
        external_id = f"fb-{digest.hex()}-{occurrences[digest]}"
    return external_id, values


def _flush(
    connection: Connection,
    pending: list[tuple[int, list[str], str, str, dict[str, Any]]],
    sink: BadRowSink,
    summary: ImportSummary,
) -> None:
    if not pending:
        return
    order_keys = {order_key for _line, _cells, _id, order_key, _values in pending if order_key}
    orders = {
        row.external_id: row.id
        for row in rows_by_key(connection, Order.__table__, "external_id", order_keys, ("id", "external_id"))
    }
    existing = {
        row.external_id: row
        for row in rows_by_key(
            connection, Feedback.__table__, "external_id", [p[2] for p in pending], ("id", "external_id", *COMPARED)
        )
    }
    inserts: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    counts = summary.records
    for line, cells, external_id, order_key, values in pending:
        if order_key and order_key not in orders:
            sink.add(line, f'unknown order "{order_key}" (import orders first)', cells)
            continue
        values["order_id"] = orders.get(order_key) if order_key else None
        current = existing.get(external_id)
        if current is None:
            inserts.append((external_id, *(values[name] for name in COMPARED)))
            counts.added += 1
        elif all(getattr(current, name) == values[name] for name in COMPARED):
            counts.unchanged += 1
        else:
            updates.append({"id": current.id, **{name: values[name] for name in COMPARED}})
            counts.updated += 1
    insert_rows(connection, Feedback.__table__, NEW_COLUMNS, inserts)
    update_rows(connection, Feedback.__table__, updates)
