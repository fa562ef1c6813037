"""Naver SmartStore's order export (스마트스토어 주문 엑셀), recognised by its headers and read into orders.

SmartStore writes one row per product order (상품주문번호); the rows of one order share its
주문번호, and each row has its own status. It downloads as ``.xlsx`` (often with a title row
above the header) and is often saved again as CP949 CSV; both are read (``reading``).

How a file becomes delight's orders and customers:

- **Orders**: one per 주문번호, placed at 주문일시 (else 결제일), in the shop's time zone
  (Asia/Seoul unless the mapping says otherwise), in won.
- **Status per row**, from 주문상태 and 주문세부상태 (or 클레임상태); see ``ORDER_STATES`` and
  ``DETAIL_STATES`` for every value: a finished cancellation (취소, 미결제취소) is
  *cancelled*; a return or refund (반품, 환불) is *refunded*; a cancellation or return under
  way (취소요청, 반품요청, 수거중 …) counts as what it will become; an exchange (교환 …) is
  kept; a claim withdrawn or refused (…철회, …거부) is kept. 결제대기 (not paid yet) rows
  are left out until a later export shows them paid. A ``[status]`` table in a mapping file
  overrides any of these words.
- **The order's status**: paid if any of its rows is kept; else refunded if any was returned;
  else cancelled. The rows cancelled or returned from an order otherwise kept are left out of
  its items and total (the summary counts them): spend is what the customer kept.
- **Total**: the sum of 상품별 총 주문금액 (or 최종 상품별 총 주문금액) of the order's rows, plus
  배송비 합계 once per 배송비 묶음번호 (the rows of one bundle repeat it; without that column,
  once per order) — what the customer paid, shipping included, as Shopify's Total is. A
  bundle whose every row was cancelled or returned adds no shipping to a kept order.
- **Items**: 상품명 with 옵션정보 in brackets, 수량, and a unit price of 상품가격 + 옵션가격
  (no unit price when 상품가격 is empty); the sku is 판매자 상품코드, else 상품번호.
- **Customers** (external id ``naver:…``): by 구매자ID. SmartStore masks older orders' ids
  (``abc****``): a masked id alone never decides who a buyer is — it is combined with
  구매자명 and 구매자연락처 (``naver:abc****#`` and a hash of the two, so no name or phone
  is kept in an id). Without 구매자ID, 구매자명 + 구매자연락처 (``naver-buyer:#hash``). A
  masked id with neither name nor phone is a bad row. The summary says how many rows were
  matched each way. A masked name, phone or address is never stored.
- **Contact details**: 구매자연락처 as the phone (only where the customer has none), and the
  delivery address (기본배송지 + 상세배송지, else 배송지 or 통합배송지; 우편번호; 수취인명 as the
  name the address is for) as the customer's address, marked as from an order — see
  ``db.importers.orders`` for when an order's address replaces the one a customer has.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from decimal import Decimal

from db.importers.results import RowError
from planner.files.layout import GroupRow, Layout, find_columns, positions
from planner.files.mapping import Mapping
from planner.files.parsing import row_amount
from planner.files.reading import SourceFile

SOURCE = "SmartStore order export"
SIGNATURE = ("상품주문번호", "주문번호", "주문상태", "상품명", "수량")
COLUMNS = {
    "order_id": ("주문번호",),
    "product_order_id": ("상품주문번호",),
    "buyer_id": ("구매자ID",),
    "name": ("구매자명",),
    "buyer_phone": ("구매자연락처",),
    "address_name": ("수취인명",),
    "street": ("기본배송지",),
    "street_detail": ("상세배송지",),
    "whole_address": ("배송지", "통합배송지"),
    "postal_code": ("우편번호",),
    "state": ("주문상태",),
    "detail": ("주문세부상태", "클레임상태"),
    "ordered_at": ("주문일시",),
    "paid_at": ("결제일",),
    "line_total": ("상품별 총 주문금액", "최종 상품별 총 주문금액"),
    "item_name": ("상품명",),
    "option": ("옵션정보",),
    "quantity": ("수량",),
    "product_price": ("상품가격",),
    "option_price": ("옵션가격",),
    "seller_code": ("판매자 상품코드",),
    "product_number": ("상품번호",),
    "shipping": ("배송비 합계",),
    "bundle": ("배송비 묶음번호",),
}
DERIVED = frozenset(
    {
        "customer_id",
        "placed_at",
        "status",
        "total",
        "unit_price",
        "item_sku",
        "phone",
        "address1",
        "address2",
        "country",
        "address_name",
    }
)

PAID, REFUNDED, CANCELLED, PENDING = "paid", "refunded", "cancelled", "pending"
COLLECTING = "collecting"  # 수거: of a return, or of an exchange — 주문상태 says which
# 주문상태: the state of the product order (Korean as the seller centre writes it; the Commerce API's codes too).
ORDER_STATES = {
    "결제대기": PENDING,
    "PAYMENT_WAITING": PENDING,
    "결제완료": PAID,
    "PAYED": PAID,
    "신규주문": PAID,
    "발주확인": PAID,
    "발송대기": PAID,
    "배송준비": PAID,
    "배송준비중": PAID,
    "배송중": PAID,
    "DELIVERING": PAID,
    "배송완료": PAID,
    "DELIVERED": PAID,
    "구매확정": PAID,
    "PURCHASE_DECIDED": PAID,
    "교환": PAID,
    "교환완료": PAID,
    "EXCHANGED": PAID,
    "취소": CANCELLED,
    "취소완료": CANCELLED,
    "CANCELED": CANCELLED,
    "미결제취소": CANCELLED,
    "CANCELED_BY_NOPAYMENT": CANCELLED,
    "반품": REFUNDED,
    "반품완료": REFUNDED,
    "RETURNED": REFUNDED,
    "환불": REFUNDED,
    "환불완료": REFUNDED,
}
# 주문세부상태 / 클레임상태: a claim under way decides for a product order still counted as bought;
# None: as 주문상태 says (no claim, or one withdrawn or refused).
DETAIL_STATES: dict[str, str | None] = {
    **dict.fromkeys(
        (
            "",
            "신규주문",
            "발주확인",
            "발송대기",
            "배송준비",
            "배송준비중",
            "결제완료",
            "배송중",
            "배송완료",
            "구매확정",
            "구매확정요청",
            "PURCHASE_DECISION_REQUEST",
            "구매확정보류",
            "PURCHASE_DECISION_HOLDBACK",
            "구매확정보류해제",
            "PURCHASE_DECISION_HOLDBACK_RELEASE",
            "취소철회",
            "CANCEL_REJECT",
            "취소거부",
            "직권취소철회",
            "ADMIN_CANCEL_REJECT",
            "반품철회",
            "RETURN_REJECT",
            "반품거부",
            "교환철회",
            "EXCHANGE_REJECT",
            "교환거부",
        )
    ),
    **dict.fromkeys(
        (
            "교환요청",
            "EXCHANGE_REQUEST",
            "교환수거중",
            "교환수거완료",
            "교환재배송중",
            "EXCHANGE_REDELIVERING",
            "교환재배송",
            "교환완료",
            "EXCHANGE_DONE",
        ),
        PAID,
    ),
    **dict.fromkeys(
        (
            "취소요청",
            "CANCEL_REQUEST",
            "취소중",
            "취소처리중",
            "CANCELING",
            "취소완료",
            "CANCEL_DONE",
            "직권취소",
            "직권취소중",
            "ADMIN_CANCELING",
            "직권취소완료",
            "ADMIN_CANCEL_DONE",
            "미결제취소",
        ),
        CANCELLED,
    ),
    **dict.fromkeys(
        ("반품요청", "RETURN_REQUEST", "반품수거중", "반품수거완료", "반품완료", "RETURN_DONE", "환불", "환불완료"),
        REFUNDED,
    ),
    **dict.fromkeys(("수거중", "COLLECTING", "수거완료", "COLLECT_DONE"), COLLECTING),
}
EXCHANGE_STATES = ("교환", "교환완료", "EXCHANGED")
MATCHED_BY = {
    "id": "by 구매자ID",
    "masked": "by a masked 구매자ID with 구매자명 and 구매자연락처",
    "name": "by 구매자명 and 구매자연락처 (no 구매자ID)",
}
_SPACE = re.compile(r"\s+")


def detect(source: SourceFile) -> int | None:
    """The line of the SmartStore header among the file's first rows, or ``None``."""
    for line, cells in source.leading:
        if set(SIGNATURE) <= set(positions(cells)):
            return line
    return None


def missing_columns(source: SourceFile) -> list[str]:
    """The signature columns the file's header lacks, for an error message."""
    names = set(positions(source.header))
    return [name for name in SIGNATURE if name not in names]


def layout(header: list[str], mapping: Mapping) -> Layout:
    """The layout of a SmartStore order export whose header is ``header``; one reader per import."""
    reader = _Reader(header, mapping)
    return Layout(SOURCE, reader.indices, reader.finish, DERIVED, reader.fold, reader.notes)


def _word(text: str) -> str:
    return _SPACE.sub("", text).upper()


def _masked(text: str) -> bool:
    return "*" in text


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=6).hexdigest()


class _Reader:
    """One import's reading of a SmartStore file: row fix-ups, order folding and the counts for the summary."""

    def __init__(self, header: list[str], mapping: Mapping) -> None:
        self.indices = find_columns(header, COLUMNS)
        self.mapping = mapping
        self.statuses = {_word(word): status for word, status in mapping.statuses.items()}
        self.has_line_totals = "line_total" in self.indices
        self.matched: Counter[str] = Counter()
        self.left_out: Counter[str] = Counter()
        self.awaiting_payment = 0
        self.repeated = 0

    # -- one row -----------------------------------------------------------------------------

    def finish(self, record: dict[str, str]) -> dict[str, str]:
        """The row's canonical fields: its customer, when, the item, contact details."""
        buyer_id, name = record.pop("buyer_id", ""), record.get("name", "")
        phone = record.pop("buyer_phone", "")
        if buyer_id and not _masked(buyer_id):
            record["customer_id"], record["match"] = f"naver:{buyer_id}", "id"
        elif buyer_id and (name or phone):
            record["customer_id"], record["match"] = f"naver:{buyer_id}#{_digest(name, phone)}", "masked"
        elif not buyer_id and name and phone:
            record["customer_id"], record["match"] = f"naver-buyer:#{_digest(name, phone)}", "name"
        else:
            record["customer_id"] = ""
            record["problem"] = (
                f'구매자ID "{buyer_id}" is masked, and neither 구매자명 nor 구매자연락처 tells buyers apart'
                if buyer_id
                else "missing customer: no 구매자ID, and not both 구매자명 and 구매자연락처"
            )
        if _masked(name):
            record["name"] = ""
        record["phone"] = "" if _masked(phone) else phone
        record["placed_at"] = record.pop("ordered_at", "") or record.pop("paid_at", "")
        option = record.pop("option", "")
        if option:
            record["item_name"] = f"{record.get('item_name', '')} ({option})"
        record["item_sku"] = record.pop("seller_code", "") or record.pop("product_number", "")
        self._address(record)
        return record

    @staticmethod
    def _address(record: dict[str, str]) -> None:
        street = record.pop("street", "")
        detail = record.pop("street_detail", "")
        whole = record.pop("whole_address", "")
        address1, address2 = (street, detail) if street else (whole, "")
        postal = record.get("postal_code", "")
        if postal.isdigit() and len(postal) == 4:
            postal = postal.zfill(5)  # a postal code Excel read as a number lost its leading zero
        if not address1 or _masked(address1 + address2 + postal):
            address1 = address2 = postal = ""
        record["address1"], record["address2"], record["postal_code"] = address1, address2, postal
        record["country"] = "KR" if address1 else ""
        if not address1 or _masked(record.get("address_name", "")):
            record["address_name"] = ""

    # -- one order ---------------------------------------------------------------------------

    def fold(self, group: list[GroupRow]) -> list[GroupRow]:
        """One order's rows → the rows it keeps, each carrying the order's status and total."""
        outcomes: list[tuple[GroupRow, str]] = []
        seen: dict[str, tuple[int, list[str]]] = {}
        for row in group:
            line, cells, record = row
            if record.get("problem"):
                raise RowError(line, record["problem"])
            product_order = record.get("product_order_id", "")
            if product_order in seen:
                first_line, first_cells = seen[product_order]
                if first_cells != cells:
                    raise RowError(
                        line, f'상품주문번호 "{product_order}" again, with other data (first on line {first_line})'
                    )
                self.repeated += 1
                continue
            if product_order:
                seen[product_order] = (line, cells)
            outcomes.append((row, self._outcome(record, line)))
        self.matched[group[0][2].get("match", "")] += len(group)
        statuses = {outcome for _row, outcome in outcomes}
        if statuses == {PENDING}:
            self.awaiting_payment += 1
            return []
        status = PAID if PAID in statuses else REFUNDED if REFUNDED in statuses else CANCELLED
        taken = [(row, outcome) for row, outcome in outcomes if outcome == status or status != PAID]
        for _row, outcome in outcomes:
            if status == PAID and outcome in (REFUNDED, CANCELLED):
                self.left_out[outcome] += 1
        rows = [row for row, outcome in taken if outcome != PENDING]
        total = self._total(rows) if self.has_line_totals else None
        for _line, _cells, record in rows:
            record["status"] = status
            record["total"] = "" if total is None else str(total)
            record["unit_price"] = self._unit_price(record, _line)
        return rows

    def _outcome(self, record: dict[str, str], line: int) -> str:
        state, detail = record.get("state", ""), record.get("detail", "")
        state_word, detail_word = _word(state), _word(detail)
        for word in (detail_word, state_word):
            if word and word in self.statuses:
                return self.statuses[word]
        if state_word not in ORDER_STATES:
            raise RowError(
                line, f'주문상태: unknown status "{state}" (map it to paid, refunded or cancelled under [status])'
            )
        if detail_word not in DETAIL_STATES:
            raise RowError(
                line, f'주문세부상태: unknown status "{detail}" (map it to paid, refunded or cancelled under [status])'
            )
        outcome = ORDER_STATES[state_word]
        claim = DETAIL_STATES[detail_word]
        if outcome != PAID or claim is None:
            return outcome
        if claim == COLLECTING:
            return PAID if state_word in EXCHANGE_STATES else REFUNDED
        return claim

    def _amount(self, text: str, line: int, column: str) -> Decimal:
        return row_amount(text, self.mapping.decimal_comma, line, column)[0]

    def _total(self, rows: list[GroupRow]) -> Decimal:
        total = Decimal(0)
        shipping: dict[str, Decimal] = {}
        for line, _cells, record in rows:
            total += self._amount(record.get("line_total", ""), line, "상품별 총 주문금액")
            fee = record.get("shipping", "")
            if fee:
                bundle = record.get("bundle", "") or record.get("order_id", "")
                # The rows of a bundle repeat its shipping, or show it on one row: counted once.
                shipping[bundle] = max(shipping.get(bundle, Decimal(0)), self._amount(fee, line, "배송비 합계"))
        return total + sum(shipping.values(), Decimal(0))

    def _unit_price(self, record: dict[str, str], line: int) -> str:
        price = record.get("product_price", "")
        if not price:
            return ""
        option = record.get("option_price", "")
        unit = self._amount(price, line, "상품가격") + (self._amount(option, line, "옵션가격") if option else 0)
        return str(unit)

    # -- the summary -------------------------------------------------------------------------

    def notes(self) -> list[str]:
        """How rows were matched to customers, and what was left out."""
        lines = []
        if self.matched:
            ways = "; ".join(
                f"{count:,} {'row' if count == 1 else 'rows'} {MATCHED_BY[how]}"
                for how, count in sorted(self.matched.items())
                if how in MATCHED_BY
            )
            lines.append(f"Customers matched: {ways}.")
        if self.left_out:
            parts = " and ".join(
                f"{self.left_out[outcome]:,} {'cancelled' if outcome == CANCELLED else 'returned'}"
                for outcome in (CANCELLED, REFUNDED)
                if self.left_out[outcome]
            )
            lines.append(f"{parts} items of orders otherwise kept: left out of those orders' items and totals.")
        if self.repeated:
            lines.append(f"{self.repeated:,} rows repeated a 상품주문번호 exactly: each counted once.")
        if self.awaiting_payment:
            waiting = self.awaiting_payment
            lines.append(f"{waiting:,} orders awaiting payment (결제대기) left out: import a later export once paid.")
        return lines
