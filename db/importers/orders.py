"""Import orders, streaming: one row per order or one row per line item (rows sharing an order id).

Rows of one order are expected together, as Shopify and SmartStore write them. An order id
that comes back further down is accepted only if it repeats the earlier rows exactly;
otherwise it is a bad row. A file without order ids (a bare transaction list) gets
stable synthetic ids, so re-importing it changes nothing while genuine repeats
(same customer, time and amount) stay separate orders.

An item without a unit price is stored without one; an order with neither a total nor
prices for all its items is a bad row.

Contact details an orders file carries (a delivery address, a phone) are kept for the
customer: a customer the file creates gets them; a known customer gets a phone if they
have none, and the delivery address of their latest order (latest of everything stored,
not only of this file) when their address is empty or itself came from an order
(``customers.address_source = "order"``). An address from a customers file
(``"customers"``) or entered any other way (empty source: by a person, or before delight
kept track) is never replaced by an order's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from db.importers.customers import (
    ORDER_ADDRESS,
    columns_present,
    customer_key,
    customer_values,
    new_customer_values,
)
from db.importers.results import BadRowSink, Counts, ImportSummary, RowError
from db.importers.store import (
    ADDRESS_COLUMNS,
    CustomerDirectory,
    finish,
    insert_rows,
    next_id,
    rows_by_key,
    update_rows,
)
from db.models import Customer, Order, OrderItem
from planner.core.money import CURRENCIES, shop_currency, to_minor
from planner.files.layout import GroupRow, Layout
from planner.files.mapping import Mapping
from planner.files.parsing import parse_datetime, parse_int, row_amount
from planner.files.reading import SourceFile, read_rows

BATCH = 5000
MAX_ID_LENGTH = 100
ORDER_LEVEL = ("customer_id", "email", "name", "placed_at", "total", "currency", "status")
ORDER_COLUMNS = ("id", "external_id", "customer_id", "placed_at", "total_minor", "currency", "status")
ITEM_COLUMNS = ("order_id", "name", "sku", "quantity", "unit_price_minor")
STATUS_WORDS = {
    "": "paid",
    "paid": "paid",
    "complete": "paid",
    "completed": "paid",
    "fulfilled": "paid",
    "delivered": "paid",
    "shipped": "paid",
    "결제완료": "paid",
    "구매확정": "paid",
    "배송완료": "paid",
    "배송중": "paid",
    "완료": "paid",
    "refunded": "refunded",
    "returned": "refunded",
    "환불": "refunded",
    "환불완료": "refunded",
    "반품": "refunded",
    "반품완료": "refunded",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "voided": "cancelled",
    "취소": "cancelled",
    "주문취소": "cancelled",
    "취소완료": "cancelled",
}

Item = tuple[str, str | None, int, int | None]


def _item_key(item: Item) -> tuple[str, str, int, int]:
    """Items sorted for comparing an order with what is stored (an unknown price sorts first)."""
    name, sku, quantity, price = item
    return (name, sku or "", quantity, -1 if price is None else price)


@dataclass(slots=True)
class _Order:
    external_id: str
    line: int
    customer_id: int
    placed_at: datetime
    total_minor: int
    currency: str
    status: str
    items: list[Item] = field(default_factory=list)


def import_orders(
    connection: Connection,
    source: SourceFile,
    layout: Layout,
    mapping: Mapping,
    sink: BadRowSink,
    summary: ImportSummary,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Upsert every good order (and its items) by external id; bad rows go to ``sink``."""
    importer = _OrderImporter(connection, layout, mapping, sink, summary)
    group: list[GroupRow] = []
    current = ""
    for line, cells in read_rows(source, progress, sink.ragged):
        summary.rows += 1
        record = layout.record(cells)
        order_id = record.get("order_id", "")
        if importer.synthetic or not order_id or order_id != current:
            if group:
                importer.take(group)
            group = []
            current = order_id
        group.append((line, cells, record))
    if group:
        importer.take(group)
    importer.flush()
    finish(connection, Customer.__table__, Order.__table__)
    summary.customers = importer.customer_counts()
    if layout.notes is not None:
        summary.notes += layout.notes()


class _OrderImporter:
    """Validates order groups, resolves their customers and writes them in batches."""

    def __init__(
        self, connection: Connection, layout: Layout, mapping: Mapping, sink: BadRowSink, summary: ImportSummary
    ) -> None:
        self.connection = connection
        self.mapping = mapping
        self.zone = mapping.zone
        self.sink = sink
        self.summary = summary
        self.synthetic = "order_id" not in layout.fields
        self.has_items = "item_name" in layout.fields
        self.fold = layout.fold
        self.customer_columns = columns_present(layout.fields & {"email", "name", *_CUSTOMER_EXTRAS})
        self.contact_columns = columns_present(layout.fields & {"phone", *ADDRESS_COLUMNS})
        self.keeps_contacts = "phone" in self.contact_columns or "address1" in self.contact_columns
        # Per customer: the newest order of this file and the contact details on it.
        self.contacts: dict[int, tuple[datetime, dict[str, Any]]] = {}
        self.directory = CustomerDirectory(connection)
        self.pending: list[_Order] = []
        self.pending_ids: set[str] = set()
        self.seen: set[str] = set()
        self.occurrences: dict[bytes, int] = {}
        self.next_id = next_id(connection, Order.__table__)
        self.shop_currency = shop_currency(connection)  # the first order's, in an empty shop

    # -- validating -------------------------------------------------------------------------

    def take(self, group: list[GroupRow]) -> None:
        """Validate one order's rows and queue it, or report every row of it as bad."""
        first_line, _cells, first = group[0]
        try:
            parsed = self._parse(group)
            if parsed is None:
                return
            order, customer_record = parsed
            if not self.synthetic:
                if order.external_id in self.seen:
                    self._repeat(order, group)
                    return
                self.seen.add(order.external_id)
            customer_id = self._customer(customer_record, first_line)
            if customer_id is not None and self.keeps_contacts:
                self._keep_contacts(customer_id, order.placed_at, customer_record, first_line)
        except RowError as bad:
            for line, cells, _record in group:
                reason = bad.reason if line == bad.line else f"another row of this order is bad (line {bad.line})"
                self.sink.add(line, reason, cells)
            if not self.synthetic:
                self.seen.add(first.get("order_id", ""))
            return
        if customer_id is None:
            return
        order.customer_id = customer_id
        self.pending.append(order)
        self.pending_ids.add(order.external_id)
        if len(self.pending) >= BATCH:
            self.flush()

    def _parse(self, group: list[GroupRow]) -> tuple[_Order, dict[str, str]] | None:
        if self.fold is not None:
            group = self.fold(group)
            if not group:
                return None
        first_line, _cells, first = group[0]
        for line, _cells, record in group[1:]:
            for name in ORDER_LEVEL:
                value = record.get(name, "")
                if value and value != first.get(name, ""):
                    raise RowError(
                        line,
                        f'duplicate order "{first.get("order_id")}" with a different {name}: '
                        f'"{value}" here, "{first.get(name, "")}" on line {first_line}',
                    )
        key = customer_key(first)
        if not key:
            raise RowError(first_line, "missing customer (no customer_id or email)")
        if len(key) > MAX_ID_LENGTH:
            raise RowError(first_line, "customer_id: longer than 100 characters")
        text = first.get("placed_at", "")
        try:
            placed_at = parse_datetime(text, self.zone, self.mapping.date_format)
        except ValueError as exc:
            raise RowError(first_line, f"placed_at: {exc}") from None
        total_text = first.get("total", "")
        total, symbol = None, None
        if total_text:
            total, symbol = row_amount(total_text, self.mapping.decimal_comma, first_line, "total")
        currency = self._currency(first.get("currency", ""), symbol, first_line)
        status = self._status(first.get("status", ""), first_line)
        items = self._items(group, currency) if self.has_items else []
        if total is not None:
            total_minor = to_minor(total, currency)
        elif items and all(price is not None for *_item, price in items):
            total_minor = sum(quantity * price for _name, _sku, quantity, price in items)  # type: ignore[operator]
        elif items:
            raise RowError(first_line, "total: no amount, and not every line item has a unit price to add up")
        else:
            raise RowError(first_line, "total: no amount (and no line items to add up)")
        if self.synthetic:
            external_id = self._synthetic_id(key, placed_at, total_minor, currency)
        else:
            external_id = first.get("order_id", "")
            if not external_id:
                raise RowError(first_line, "order_id: missing")
            if len(external_id) > MAX_ID_LENGTH:
                raise RowError(first_line, "order_id: longer than 100 characters")
            if not self.has_items:
                for line, _cells, _record in group[1:]:
                    self.summary.warn(f'line {line} repeats order "{external_id}" from line {first_line}: ignored')
        order = _Order(external_id, first_line, 0, placed_at, total_minor, currency, status, items)
        return order, first

    def _currency(self, text: str, symbol: str | None, line: int) -> str:
        currency = text.upper() if text else symbol or self.mapping.currency
        if currency not in CURRENCIES:
            raise RowError(line, f'currency: unknown currency "{text or currency}"')
        if self.shop_currency is None:
            self.shop_currency = currency
        elif currency != self.shop_currency:
            raise RowError(
                line, f"currency: {currency}, but the shop's orders are in {self.shop_currency} (money is kept in one)"
            )
        return currency

    def _status(self, text: str, line: int) -> str:
        word = text.lower()
        status = self.mapping.statuses.get(word) or STATUS_WORDS.get(word)
        if status is None:
            raise RowError(
                line, f'status: unknown status "{text}" (use paid, refunded or cancelled, or map it under [status])'
            )
        return status

    def _items(self, group: list[GroupRow], currency: str) -> list[Item]:
        items: list[Item] = []
        for line, _cells, record in group:
            name = record.get("item_name", "")
            if not name:
                continue
            quantity_text = record.get("quantity", "")
            try:
                quantity = parse_int(quantity_text) if quantity_text else 1
            except ValueError as exc:
                raise RowError(line, f"quantity: {exc}") from None
            if quantity < 0:
                raise RowError(line, f"quantity: {quantity} is negative")
            if quantity == 0:
                raise RowError(line, "quantity: 0 (a line item needs at least 1)")
            price_text = record.get("unit_price", "")
            price_minor = None
            if price_text:
                price, _symbol = row_amount(price_text, self.mapping.decimal_comma, line, "unit_price")
                price_minor = to_minor(price, currency)
            sku = record.get("item_sku", "") or None
            if sku and len(sku) > MAX_ID_LENGTH:
                raise RowError(line, "item_sku: longer than 100 characters")
            items.append((name, sku, quantity, price_minor))
        return items

    def _synthetic_id(self, key: str, placed_at: datetime, total_minor: int, currency: str) -> str:
        # Stable across runs (no Python hash randomisation); the occurrence number keeps
        # genuine repeats of the same purchase apart.
        fingerprint = f"{key}\x1f{placed_at.isoformat()}\x1f{total_minor}\x1f{currency}"
        digest = hashlib.blake2b(fingerprint.encode(), digest_size=8).digest()
        occurrence = self.occurrences.get(digest, 0) + 1
        self.occurrences[digest] = occurrence
        return f"tx-{digest.hex()}-{occurrence}"

    def _customer(self, record: dict[str, str], line: int) -> int | None:
        key = customer_key(record)
        directory = self.directory
        customer_id = directory.find(key, record.get("email", ""))
        if customer_id is None:
            try:
                values = new_customer_values(record, self.customer_columns, self.mapping, ORDER_ADDRESS)
            except ValueError as exc:
                raise RowError(line, str(exc)) from None
            return directory.create(key, values)
        if customer_id in directory.erased:
            self.summary.records.skipped_erased += 1
            self.summary.warn(f'line {line}: customer "{key}" asked to be forgotten: their order was skipped')
            return None
        if record.get("do_not_contact", "").lower() in ("yes", "true", "1", "y"):
            directory.opt_out(customer_id)
        return customer_id

    def _repeat(self, order: _Order, group: list[GroupRow]) -> None:
        """An order id seen before, not next to its other rows: fine only if it says the same."""
        if order.external_id in self.pending_ids:
            self.flush()
        stored = self._stored(order.external_id)
        same = stored is not None and stored == (
            order.placed_at,
            order.total_minor,
            order.currency,
            order.status,
            sorted(order.items, key=_item_key) if self.has_items else None,
        )
        if same:
            self.summary.warn(f'line {order.line} repeats order "{order.external_id}" exactly: ignored')
            return
        reason = f'duplicate order "{order.external_id}" further down the file with different data'
        for line, cells, _record in group:
            self.sink.add(line, reason, cells)

    def _stored(self, external_id: str) -> tuple[Any, ...] | None:
        rows = list(
            rows_by_key(
                self.connection,
                Order.__table__,
                "external_id",
                [external_id],
                ("id", "placed_at", "total_minor", "currency", "status"),
            )
        )
        if not rows:
            return None
        row = rows[0]
        items = self._stored_items([row.id]).get(row.id, []) if self.has_items else None
        return (row.placed_at, row.total_minor, row.currency, row.status, items)

    def _stored_items(self, order_ids: list[int]) -> dict[int, list[Item]]:
        stored: dict[int, list[Item]] = {}
        for row in rows_by_key(self.connection, OrderItem.__table__, "order_id", order_ids, ITEM_COLUMNS):
            stored.setdefault(row.order_id, []).append((row.name, row.sku, row.quantity, row.unit_price_minor))
        for items in stored.values():
            items.sort(key=_item_key)
        return stored

    # -- writing ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the queued orders: insert new ones, update changed ones, count the rest."""
        self.directory.flush()
        if not self.pending:
            return
        existing = {
            row.external_id: row
            for row in rows_by_key(
                self.connection,
                Order.__table__,
                "external_id",
                [order.external_id for order in self.pending],
                ORDER_COLUMNS,
            )
        }
        stored_items = self._stored_items([row.id for row in existing.values()]) if self.has_items and existing else {}
        new_orders: list[tuple[Any, ...]] = []
        new_items: list[tuple[Any, ...]] = []
        changed: list[dict[str, Any]] = []
        replaced_items: list[int] = []
        counts = self.summary.records
        for order in self.pending:
            current = existing.get(order.external_id)
            if current is None:
                order_id = self.next_id
                self.next_id += 1
                new_orders.append(
                    (
                        order_id,
                        order.external_id,
                        order.customer_id,
                        order.placed_at,
                        order.total_minor,
                        order.currency,
                        order.status,
                    )
                )
                new_items.extend((order_id, *item) for item in order.items)
                counts.added += 1
                continue
            fields_same = (
                current.customer_id == order.customer_id
                and current.placed_at == order.placed_at
                and current.total_minor == order.total_minor
                and current.currency == order.currency
                and current.status == order.status
            )
            items_same = not self.has_items or stored_items.get(current.id, []) == sorted(order.items, key=_item_key)
            if fields_same and items_same:
                counts.unchanged += 1
                continue
            counts.updated += 1
            if not fields_same:
                changed.append(
                    {
                        "id": current.id,
                        "customer_id": order.customer_id,
                        "placed_at": order.placed_at,
                        "total_minor": order.total_minor,
                        "currency": order.currency,
                        "status": order.status,
                    }
                )
            if not items_same:
                replaced_items.append(current.id)
                new_items.extend((current.id, *item) for item in order.items)
        insert_rows(self.connection, Order.__table__, ORDER_COLUMNS, new_orders)
        update_rows(self.connection, Order.__table__, changed)
        if replaced_items:
            items_table = OrderItem.__table__
            self.connection.execute(delete(items_table).where(items_table.c.order_id.in_(replaced_items)))
        insert_rows(self.connection, OrderItem.__table__, ITEM_COLUMNS, new_items)
        self.pending = []
        self.pending_ids = set()
        self._store_contacts()

    # -- contact details ---------------------------------------------------------------------

    def _keep_contacts(self, customer_id: int, placed_at: datetime, record: dict[str, str], line: int) -> None:
        """Remember the phone and address on this customer's newest order in the file."""
        kept = self.contacts.get(customer_id)
        if kept is not None and kept[0] > placed_at:
            return
        try:
            values = customer_values(record, self.contact_columns, self.mapping, ORDER_ADDRESS)
        except ValueError as exc:
            raise RowError(line, str(exc)) from None
        if values.get("phone") or values.get("address1"):
            self.contacts[customer_id] = (placed_at, values)

    def _store_contacts(self) -> None:
        """Give known customers the phone and delivery address of their newest order (see the module's notes)."""
        if not self.contacts:
            return
        table, orders = Customer.__table__, Order.__table__
        wanted = ("id", "erased_at", "phone", "address_source", *ADDRESS_COLUMNS)
        ids = list(self.contacts)
        latest: dict[int, datetime] = {}
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            query = (
                select(orders.c.customer_id, func.max(orders.c.placed_at))
                .where(orders.c.customer_id.in_(chunk))
                .group_by(orders.c.customer_id)
            )
            latest.update((customer_id, moment) for customer_id, moment in self.connection.execute(query))
        updates = []
        for row in rows_by_key(self.connection, table, "id", ids, wanted):
            placed_at, values = self.contacts[row.id]
            if row.erased_at is not None:
                continue
            current = {name: getattr(row, name) for name in ("phone", "address_source", *ADDRESS_COLUMNS)}
            wanted_values = dict(current)
            if values.get("phone") and not row.phone:
                wanted_values["phone"] = values["phone"]
            replaceable = not row.address1 or row.address_source == ORDER_ADDRESS
            if values.get("address1") and replaceable and placed_at >= latest.get(row.id, placed_at):
                # The address as a whole: a part the file does not give is not kept from an older one.
                wanted_values.update({name: values.get(name) for name in ADDRESS_COLUMNS}, address_source=ORDER_ADDRESS)
            if wanted_values != current:
                updates.append({"id": row.id, **wanted_values})
                if row.id < self.directory.first_new_id:
                    self.directory.updated += 1
        update_rows(self.connection, table, updates)
        self.contacts = {}

    def customer_counts(self) -> Counts:
        """Customers this import created or opted out."""
        return Counts(added=self.directory.added, updated=self.directory.updated)


# Customer details an orders file may carry (a delivery address, marketing consent).
_CUSTOMER_EXTRAS = ("phone", *ADDRESS_COLUMNS, "do_not_contact")
