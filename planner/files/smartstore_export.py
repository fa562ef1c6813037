"""The store's orders written as a Naver SmartStore order export (``.xlsx``), for the demo and the tests.

``delight seed --export-smartstore FILE`` writes the seeded orders in the shape SmartStore's
seller centre downloads them (``planner.files.smartstore`` reads that shape): a title row,
then one row per product order under SmartStore's column names, in Korean. Importing the
file into an empty database gives the same customers, orders, spend, items and addresses.

What it shows of SmartStore's ways: several items per order (one 상품주문번호 each), shipping
(배송비 합계) repeated on every row of its bundle, statuses in Korean (결제완료 … 구매확정,
취소/취소완료, 반품/반품완료), and masked buyers: customers whose latest order is more than
``MASK_AFTER_DAYS`` old have their 구매자ID and phone masked (``c000****``, ``010-****-1234``),
as SmartStore hides old buyers' details — so the import's rule for masked ids is exercised.
Every customer's address is the delivery address, in one line (배송지).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from db.models import Customer, Order, OrderItem, OrderStatus
from planner.files.spreadsheet import SheetWriter, open_output

TITLE = "주문통합검색 - 스마트스토어 주문 내역 (delight 데모 데이터)"
HEADER = (
    "상품주문번호",
    "주문번호",
    "배송방법(구매자 요청)",
    "배송방법",
    "택배사",
    "송장번호",
    "발송일",
    "판매채널",
    "구매자명",
    "구매자ID",
    "수취인명",
    "주문상태",
    "주문세부상태",
    "결제위치",
    "결제일",
    "상품번호",
    "상품명",
    "상품종류",
    "옵션정보",
    "옵션관리코드",
    "수량",
    "옵션가격",
    "상품가격",
    "상품별 할인액",
    "판매자 부담 할인액",
    "상품별 총 주문금액",
    "사은품",
    "발주확인일",
    "발송기한",
    "발송처리일",
    "송장출력일",
    "배송비 형태",
    "배송비 묶음번호",
    "배송비 유형",
    "배송비 합계",
    "제주/도서 추가배송비",
    "배송비 할인액",
    "판매자 상품코드",
    "판매자 내부코드1",
    "판매자 내부코드2",
    "수취인연락처1",
    "수취인연락처2",
    "배송지",
    "구매자연락처",
    "우편번호",
    "배송메세지",
    "출고지",
    "결제수단",
    "주문일시",
)
MASK_AFTER_DAYS = 180
SHOP_ZONE = ZoneInfo("Asia/Seoul")


def export_orders(connection: Connection, path: Path, today: datetime) -> int:
    """Write every order of the store to ``path`` as a SmartStore export; returns the rows written."""
    orders, customers, items = Order.__table__, Customer.__table__, OrderItem.__table__
    by_customer = select(orders.c.customer_id, func.max(orders.c.placed_at)).group_by(orders.c.customer_id)
    latest = {customer_id: moment for customer_id, moment in connection.execute(by_customer)}
    masked_before = today - timedelta(days=MASK_AFTER_DAYS)
    query = (
        select(
            orders.c.id,
            orders.c.customer_id,
            orders.c.placed_at,
            orders.c.total_minor,
            orders.c.status,
            customers.c.external_id,
            customers.c.name,
            customers.c.phone,
            customers.c.postal_code,
            customers.c.region,
            customers.c.city,
            customers.c.address1,
            customers.c.address2,
            items.c.id.label("item_id"),
            items.c.name.label("item_name"),
            items.c.sku,
            items.c.quantity,
            items.c.unit_price_minor,
        )
        .join(customers, customers.c.id == orders.c.customer_id)
        .join(items, items.c.order_id == orders.c.id)
        .order_by(orders.c.id, items.c.id)
    )
    written = 0
    with open_output(path) as handle:
        writer = SheetWriter(handle, "xlsx", [TITLE], bom=False, title="주문통합검색")
        writer.write(HEADER)
        for row in _rows(connection.execute(query), latest, masked_before, today):
            writer.write(row)
            written += 1
        writer.close()
    return written


def _rows(result: Any, latest: dict[int, datetime], masked_before: datetime, today: datetime) -> Iterator[list[Any]]:
    order_rows: list[Any] = []
    for row in result:
        if order_rows and order_rows[0].id != row.id:
            yield from _order(order_rows, latest, masked_before, today)
            order_rows = []
        order_rows.append(row)
    if order_rows:
        yield from _order(order_rows, latest, masked_before, today)


def _order(rows: list[Any], latest: dict[int, datetime], masked_before: datetime, today: datetime) -> list[list[Any]]:
    first = rows[0]
    placed = first.placed_at.astimezone(SHOP_ZONE).replace(tzinfo=None, microsecond=0)
    order_number = f"{placed:%Y%m%d}{first.id:08d}"
    subtotal = sum(row.quantity * (row.unit_price_minor or 0) for row in rows)
    shipping = first.total_minor - subtotal
    state, detail = _status(first.status, today - first.placed_at)
    masked = latest[first.customer_id] < masked_before
    buyer_id = first.external_id.lower()
    phone = first.phone or ""
    if masked:
        buyer_id = buyer_id[:4] + "****"
        phone = phone[:4] + "****" + phone[8:] if len(phone) >= 12 else "****"
    address = " ".join(part for part in (first.region, first.city, first.address1, first.address2) if part)
    shipped = state in ("배송중", "배송완료", "구매확정", "반품")
    return [
        [
            f"{placed:%Y%m%d}{row.item_id:08d}",
            order_number,
            "택배,등기,소포",
            "택배,등기,소포",
            "CJ대한통운" if shipped else None,
            f"5{row.id:011d}" if shipped else None,
            None,
            "스마트스토어",
            first.name,
            buyer_id,
            first.name,
            state,
            detail,
            "MOBILE" if first.id % 3 else "PC",
            placed,
            f"8{_product_number(row.sku):09d}",
            row.item_name,
            "단일상품",
            None,
            None,
            row.quantity,
            0,
            row.unit_price_minor,
            0,
            0,
            row.quantity * (row.unit_price_minor or 0),
            None,
            None,
            None,
            None,
            None,
            "선결제" if shipping else "무료",
            f"{first.id:010d}",
            "조건부무료",
            shipping,
            0,
            0,
            row.sku,
            None,
            None,
            phone if address else None,
            None,
            address or None,
            phone,
            first.postal_code if address else None,
            None,
            "서울특별시 마포구 월드컵로 1 (출고지)",
            "신용카드" if first.id % 2 else "네이버페이 포인트",
            placed,
        ]
        for row in rows
    ]


def _product_number(sku: str | None) -> int:
    """A stable 9-digit 상품번호 for a sku (Python's own hash changes between runs)."""
    number = 0
    for char in sku or "":
        number = (number * 131 + ord(char)) % 1_000_000_000
    return number


def _status(status: str, age: timedelta) -> tuple[str, str]:
    """주문상태 and 주문세부상태 for an order's status and age."""
    if status == OrderStatus.CANCELLED:
        return "취소", "취소완료"
    if status == OrderStatus.REFUNDED:
        return "반품", "반품완료"
    if age < timedelta(days=2):
        return "결제완료", "신규주문"
    if age < timedelta(days=5):
        return "배송중", "배송중"
    if age < timedelta(days=10):
        return "배송완료", "배송완료"
    return "구매확정", "구매확정"
