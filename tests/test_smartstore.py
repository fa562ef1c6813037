"""Naver SmartStore's order export: recognised by its headers in .xlsx or CP949 CSV, with or without a
title row; orders, statuses, totals, items, customers (masked ids too) and addresses; idempotent; bad rows
named by line; and the demo's own export imported end to end.

Run on SQLite and (when configured) PostgreSQL through the ``initialised`` fixture.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select, update
from store_rows import lines, snapshot

from db.engine import database_url, make_engine
from db.models import Customer, Order, OrderItem
from planner.cli import cli
from planner.files.smartstore_export import HEADER, MASK_AFTER_DAYS, TITLE

MINJI = {"구매자ID": "minji88", "구매자명": "김민지", "구매자연락처": "010-1111-2222", "수취인명": "김민지"}
HOME = {"배송지": "서울특별시 마포구 월드컵로 10 101동 202호", "우편번호": "04000"}
OFFICE = {"배송지": "서울특별시 강남구 테헤란로 1", "우편번호": "06000"}
SEOJUN = {"구매자ID": "abc****", "구매자명": "이서준", "구매자연락처": "010-3333-4444", "수취인명": "이서준"}
JIHOON = {"구매자ID": "abc****", "구매자명": "박지훈", "구매자연락처": "010-5555-6666", "수취인명": "박지훈"}
YUNA = {"구매자명": "최유나", "구매자연락처": "010-7777-8888"}
HOON = {"구매자ID": "hoon77", "구매자명": "정훈", "구매자연락처": "010-****-9999", "수취인명": "정*"}


def row(order: str, product_order: str, when: str, state: str, detail: str, **cells: Any) -> dict[str, Any]:
    return {
        "주문번호": order,
        "상품주문번호": product_order,
        "주문일시": when,
        "결제일": when,
        "주문상태": state,
        "주문세부상태": detail,
        **cells,
    }


def item(name: str, price: int, quantity: int = 1, option: str = "", option_price: int = 0, **cells: Any) -> dict:
    return {
        "상품명": name,
        "옵션정보": option,
        "상품가격": price,
        "옵션가격": option_price,
        "수량": quantity,
        "상품별 총 주문금액": (price + option_price) * quantity,
        "판매자 상품코드": f"SKU-{name}",
        **cells,
    }


def shipping(bundle: str, fee: int) -> dict[str, Any]:
    return {"배송비 묶음번호": bundle, "배송비 합계": fee}


ROWS = [
    # A: two items, one bundle's shipping repeated on both rows; an option with its own price.
    row("2026110100000001", "P-A1", "2026-11-01 10:00:00", "구매확정", "구매확정", **MINJI, **HOME,
        **item("머그컵", 12000, 2, "색상: 블루", 1000), **shipping("B-1", 3000)),
    row("2026110100000001", "P-A2", "2026-11-01 10:00:00", "구매확정", "구매확정", **MINJI, **HOME,
        **item("엽서 세트", 5000), **shipping("B-1", 3000)),
    # B: later, to another address; one item kept, one returned (same bundle), one cancelled (its own bundle).
    row("2026111500000002", "P-B1", "2026-11-15 14:30:00", "배송완료", "배송완료", **MINJI, **OFFICE,
        **item("텀블러", 18000), **shipping("B-2", 3000)),
    row("2026111500000002", "P-B2", "2026-11-15 14:30:00", "반품", "반품완료", **MINJI, **OFFICE,
        **item("캔들", 9000), **shipping("B-2", 3000)),
    row("2026111500000002", "P-B3", "2026-11-15 14:30:00", "취소", "취소완료", **MINJI, **OFFICE,
        **item("노트", 4000), **shipping("B-3", 2500)),
    # C and D: the same masked 구매자ID, two different buyers.
    row("2026110500000003", "P-C1", "2026-11-05 09:00:00", "구매확정", "", **SEOJUN, **item("양말", 7000),
        **shipping("B-4", 3000), 배송지="부산광역시 해운대구 해운대로 5", 우편번호="48000"),
    row("2026110600000004", "P-D1", "2026-11-06 09:00:00", "배송완료", "반품요청", **JIHOON, **item("담요", 30000)),
    # E: no 구매자ID at all; a whole order cancelled by the buyer.
    row("2026110700000005", "P-E1", "2026-11-07 12:00:00", "결제완료", "취소요청", **YUNA, **item("향초", 15000)),
    # F: not paid yet: left out until a later export shows it paid.
    row("2026111000000006", "P-F1", "2026-11-10 08:00:00", "결제대기", "", 구매자ID="yuna_c", 구매자명="최유나",
        **item("컵받침", 3000)),
    # H: the buyer's phone and the address are masked: neither is stored.
    row("2026110800000007", "P-H1", "2026-11-08 18:00:00", "교환", "수거중", **HOON, 배송지="서울특별시 ***",
        우편번호="0****", **item("쿠션", 22000)),
]  # fmt: skip

EXPECTED = {
    # external id: (purchases, spent, refunded or cancelled orders, phone, address1, postal code, addressee)
    "naver:minji88": (2, 12000 * 2 + 2000 + 5000 + 3000 + 18000 + 3000, 0, "010-1111-2222",
                      OFFICE["배송지"], "06000", "김민지"),
    "이서준": (1, 10000, 0, "010-3333-4444", "부산광역시 해운대구 해운대로 5", "48000", "이서준"),
    "박지훈": (0, 0, 1, "010-5555-6666", None, None, None),
    "최유나": (0, 0, 1, "010-7777-8888", None, None, None),
    "naver:hoon77": (1, 22000, 0, None, None, None, None),
}  # fmt: skip


def as_xlsx(path: Path, rows: list[dict[str, Any]], *, title: bool = True) -> Path:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([TITLE])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    sheet.append(list(HEADER))
    for cells in rows:
        sheet.append([cells.get(name) for name in HEADER])
    book.save(path)
    return path


def as_cp949_csv(path: Path, rows: list[dict[str, Any]], *, title: bool = True) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if title:
        writer.writerow([TITLE])
    writer.writerow(HEADER)
    for cells in rows:
        writer.writerow(["" if cells.get(name) is None else cells.get(name) for name in HEADER])
    path.write_bytes(buffer.getvalue().encode("cp949"))
    return path


def customers_seen(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """Each customer as EXPECTED describes them, keyed by external id (a masked one by name)."""
    customers, orders = Customer.__table__, Order.__table__
    seen = {}
    with engine.connect() as connection:
        for customer in connection.execute(select(customers)):
            rows = connection.execute(select(orders).where(orders.c.customer_id == customer.id)).all()
            paid = [order for order in rows if order.status == "paid"]
            key = customer.external_id if "#" not in customer.external_id else customer.name
            seen[key] = (
                len(paid),
                sum(order.total_minor for order in paid),
                len(rows) - len(paid),
                customer.phone,
                customer.address1,
                customer.postal_code,
                customer.address_name,
            )
    return seen


def items_by_order(engine: Engine) -> dict[str, list[tuple[str, int, int | None]]]:
    items, orders = OrderItem.__table__, Order.__table__
    query = select(orders.c.external_id, items.c.name, items.c.quantity, items.c.unit_price_minor).join(
        orders, orders.c.id == items.c.order_id
    )
    found: dict[str, list[tuple[str, int, int | None]]] = {}
    with engine.connect() as connection:
        for external_id, name, quantity, price in connection.execute(query):
            found.setdefault(external_id, []).append((name, quantity, price))
    return {key: sorted(value) for key, value in found.items()}


@pytest.mark.parametrize(
    ("maker", "title", "header_line"),
    [(as_xlsx, True, 2), (as_xlsx, False, 1), (as_cp949_csv, True, 2), (as_cp949_csv, False, 1)],
    ids=["xlsx-title", "xlsx", "cp949-title", "cp949"],
)
def test_a_smartstore_export_imports_as_it_is(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path, maker: Any, title: bool, header_line: int
) -> None:
    suffix = ".xlsx" if maker is as_xlsx else ".csv"
    path = maker(tmp_path / f"스마트스토어_주문{suffix}", ROWS, title=title)
    result = initialised("import", "orders", str(path))
    assert result.exit_code == 0, result.output
    where = f", header on line {header_line}" if title else ""
    encoding = "xlsx" if suffix == ".xlsx" else "CP949"
    assert lines(result.stdout) == [
        f"{path.name} (SmartStore order export, {encoding}{where}): 10 rows read.",
        "6 orders: 6 added, 0 updated, 0 unchanged.",
        "5 customers: 5 added, 0 updated, 0 unchanged.",
        "Customers matched: 7 rows by 구매자ID; 2 rows by a masked 구매자ID with 구매자명 and 구매자연락처; "
        "1 row by 구매자명 and 구매자연락처 (no 구매자ID).",
        "1 cancelled and 1 returned items of orders otherwise kept: left out of those orders' items and totals.",
        "1 orders awaiting payment (결제대기) left out: import a later export once paid.",
    ]
    assert customers_seen(engine) == EXPECTED
    assert items_by_order(engine) == {
        "2026110100000001": [("머그컵 (색상: 블루)", 2, 13000), ("엽서 세트", 1, 5000)],
        "2026111500000002": [("텀블러", 1, 18000)],
        "2026110500000003": [("양말", 1, 7000)],
        "2026110600000004": [("담요", 1, 30000)],
        "2026110700000005": [("향초", 1, 15000)],
        "2026110800000007": [("쿠션", 1, 22000)],
    }
    with engine.connect() as connection:
        statuses = dict(connection.execute(select(Order.external_id, Order.status)).all())
        placed = connection.execute(select(Order.placed_at).where(Order.external_id == "2026110100000001")).scalar_one()
        sources = set(connection.execute(select(Customer.address_source)).scalars())
    assert statuses["2026110600000004"] == "refunded" and statuses["2026110700000005"] == "cancelled"
    assert statuses["2026110800000007"] == "paid"  # an exchange is kept
    assert placed == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    assert sources == {"order", None}
    before = snapshot(engine)
    again = initialised("import", "orders", str(path))
    assert lines(again.stdout)[1] == "6 orders: 0 added, 0 updated, 6 unchanged."
    assert snapshot(engine) == before


def test_format_smartstore_is_checked(initialised: Callable[..., Result], tmp_path: Path) -> None:
    plain = tmp_path / "orders.csv"
    plain.write_text("order_id,customer_id,placed_at,total\nA1,c1,2026-11-01,100\n")
    result = initialised("import", "orders", str(plain), "--format", "smartstore")
    missing = "상품주문번호, 주문번호, 주문상태, 상품명, 수량"
    assert result.stderr == f"Error: orders.csv: not a SmartStore order export (no column {missing})\n"
    export = as_xlsx(tmp_path / "ss.xlsx", ROWS[:1])
    wrong_kind = initialised("import", "customers", str(export), "--format", "smartstore")
    assert wrong_kind.stderr == (
        "Error: SmartStore's order export holds orders: import it with `delight import orders ss.xlsx`\n"
    )
    asked = initialised("import", "orders", str(export), "--format", "smartstore")
    assert asked.exit_code == 0, asked.output


def test_a_broken_export_names_every_bad_line_and_imports_nothing(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    broken = [
        *ROWS[:2],
        row("2026112000000010", "P-X1", "2026-11-20 10:00:00", "배송보류", "", **MINJI, **item("A", 1000)),
        row("2026112000000011", "P-Y1", "2026-11-20 10:00:00", "구매확정", "", **MINJI,
            **{**item("B", 1000), "상품별 총 주문금액": "1,0x0"}),
        row("2026112000000012", "P-Z1", "2026-11-20 10:00:00", "구매확정", "", 구매자ID="zz****", **item("C", 1000)),
        row("2026112000000013", "P-W1", "2026-11-20 10:00:00", "구매확정", "", **MINJI, **item("D", 1000)),
        row("2026112000000013", "P-W1", "2026-11-20 10:00:00", "구매확정", "", **MINJI, **item("D", 2000)),
    ]  # fmt: skip
    path = as_xlsx(tmp_path / "broken.xlsx", broken)
    before = snapshot(engine)
    result = initialised("import", "orders", str(path))
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        'line 5: 주문상태: unknown status "배송보류" (map it to paid, refunded or cancelled under [status])',
        'line 6: 상품별 총 주문금액: unparseable amount "1,0x0"',
        'line 7: 구매자ID "zz****" is masked, and neither 구매자명 nor 구매자연락처 tells buyers apart',
        "line 8: another row of this order is bad (line 9)",
        'line 9: 상품주문번호 "P-W1" again, with other data (first on line 8)',
        "Error: broken.xlsx: 5 bad rows, so nothing was imported: fix them, "
        "or pass --skip-bad FILE to import the good rows and set the bad ones aside",
    ]
    assert snapshot(engine) == before
    set_aside = tmp_path / "bad.xlsx"
    result = initialised("import", "orders", str(path), "--skip-bad", str(set_aside))
    assert result.exit_code == 0, result.output
    book = load_workbook(set_aside, read_only=True)
    written = [list(cells) for cells in book.worksheets[0].iter_rows(values_only=True)]
    assert written[0] == [*HEADER, "line", "reason"]
    assert [(cells[1], cells[-2]) for cells in written[1:]] == [
        ("2026112000000010", 5),
        ("2026112000000011", 6),
        ("2026112000000012", 7),
        ("2026112000000013", 8),
        ("2026112000000013", 9),
    ]
    assert "1 orders: 1 added" in result.stdout


def test_a_mapping_file_names_a_status_word(initialised: Callable[..., Result], engine: Engine, tmp_path: Path) -> None:
    path = as_xlsx(
        tmp_path / "ss.xlsx", [row("O1", "P1", "2026-11-20 10:00", "배송보류", "", **MINJI, **item("A", 1000))]
    )
    mapping = tmp_path / "shop.toml"
    mapping.write_text('[status]\n"배송보류" = "paid"\n', encoding="utf-8")
    result = initialised("import", "orders", str(path), "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        assert connection.execute(select(Order.status)).scalar_one() == "paid"


def test_an_address_a_person_entered_is_never_replaced(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "customer_id,name,address1,postal_code\nnaver:minji88,김민지,서울특별시 종로구 세종대로 175,03000\n",
        encoding="utf-8",
    )
    assert initialised("import", "customers", str(customers)).exit_code == 0
    older = as_xlsx(tmp_path / "older.xlsx", ROWS[:2])
    assert initialised("import", "orders", str(older)).exit_code == 0
    seen = customers_seen(engine)["naver:minji88"]
    assert seen[3:] == (
        "010-1111-2222",
        "서울특별시 종로구 세종대로 175",
        "03000",
        None,
    )  # the phone was missing: added
    with engine.begin() as connection:  # as a person would set it: no source
        connection.execute(update(Customer).values(address_source=None, address1="직접 입력한 주소"))
    newer = as_xlsx(tmp_path / "newer.xlsx", ROWS[2:5])
    assert initialised("import", "orders", str(newer)).exit_code == 0
    assert customers_seen(engine)["naver:minji88"][4] == "직접 입력한 주소"


def test_the_latest_orders_address_wins_whatever_order_files_come_in(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    newer = as_xlsx(tmp_path / "newer.xlsx", ROWS[2:5])
    older = as_xlsx(tmp_path / "older.xlsx", ROWS[:2])
    assert initialised("import", "orders", str(newer)).exit_code == 0
    result = initialised("import", "orders", str(older))
    assert result.exit_code == 0
    assert "customers" not in result.stdout  # nobody changed: the older order's address does not win
    assert customers_seen(engine)["naver:minji88"][4:] == (OFFICE["배송지"], "06000", "김민지")
    moved = dict(OFFICE, 배송지="서울특별시 용산구 한강대로 100")
    latest = row(
        "2026112500000020", "P-N1", "2026-11-25 10:00", "결제완료", "신규주문", **MINJI, **moved, **item("펜", 2000)
    )
    result = initialised("import", "orders", str(as_xlsx(tmp_path / "latest.xlsx", [latest])))
    assert "1 customers: 0 added, 1 updated, 0 unchanged." in result.stdout
    assert customers_seen(engine)["naver:minji88"][4] == "서울특별시 용산구 한강대로 100"


# -- the demo's export, end to end ----------------------------------------------------------------------


def stored(customer: Any, _latest: datetime) -> tuple[Any, ...]:
    return (customer.name, customer.phone, customer.address1, customer.postal_code)


def store_as_seen(engine: Engine, view: Callable[[Any, datetime], tuple[Any, ...]] = stored) -> list[tuple[Any, ...]]:
    """Every customer with orders, as ``view`` shows them, with each order (status, total, items), sorted."""
    customers, orders, items = Customer.__table__, Order.__table__, OrderItem.__table__
    histories: dict[int, list[Any]] = {}
    order_items: dict[int, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        details = {row.id: row for row in connection.execute(select(customers))}
        for line in connection.execute(
            select(items.c.order_id, items.c.name, items.c.quantity, items.c.unit_price_minor)
        ):
            order_items.setdefault(line.order_id, []).append((line.name, line.quantity, line.unit_price_minor))
        for order in connection.execute(select(orders)):
            history = histories.setdefault(order.customer_id, [])
            history.append(
                (order.placed_at, order.status, order.total_minor, tuple(sorted(order_items.get(order.id, []))))
            )
    return sorted(
        (
            (*view(details[customer], max(order[0] for order in history)), tuple(sorted(o[1:] for o in history)))
            for customer, history in histories.items()
        ),
        key=repr,  # names and phones may be missing: compared as text
    )


def test_the_seeded_shop_exported_to_smartstore_imports_as_the_same_shop(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    export = tmp_path / "스마트스토어_주문.xlsx"
    seeded = initialised(
        "seed", "--customers", "150", "--seed", "5", "--today", "2026-11-30", "--export-smartstore", str(export)
    )
    assert seeded.exit_code == 0, seeded.output
    assert seeded.output.splitlines()[-1].endswith(f"rows): {export}")
    # SmartStore shows a lapsed buyer's phone masked, and every address as one line (배송지).
    masked_before = datetime(2026, 11, 30, tzinfo=UTC) - timedelta(days=MASK_AFTER_DAYS)

    def as_exported(customer: Any, latest: datetime) -> tuple[Any, ...]:
        parts = (customer.region, customer.city, customer.address1, customer.address2)
        whole = " ".join(part for part in parts if part) or None
        phone = None if latest < masked_before else customer.phone
        return (customer.name, phone, whole, customer.postal_code if whole else None)

    expected = store_as_seen(engine, as_exported)
    fresh = database_url(str(tmp_path / "fresh.db"))
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", fresh, "init"]).exit_code == 0
    imported = runner.invoke(cli, ["--db", fresh, "import", "orders", str(export)])
    assert imported.exit_code == 0, imported.output
    assert "rows by a masked 구매자ID with 구매자명 and 구매자연락처" in imported.output
    fresh_engine = make_engine(fresh)
    try:
        assert store_as_seen(fresh_engine) == expected
        before = snapshot(fresh_engine)
        again = runner.invoke(cli, ["--db", fresh, "import", "orders", str(export)])
        assert " 0 added, 0 updated," in again.output
        assert snapshot(fresh_engine) == before
    finally:
        fresh_engine.dispose()


def test_the_demo_export_is_refused_before_anything_is_seeded(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    english = initialised(
        "seed", "--customers", "5", "--locale", "en_US", "--export-smartstore", str(tmp_path / "x.xlsx")
    )
    assert english.stderr == (
        "Error: --export-smartstore: SmartStore is a Korean marketplace: use --locale ko_KR or mixed\n"
    )
    nowhere = tmp_path / "no such folder" / "x.xlsx"
    unwritable = initialised("seed", "--customers", "5", "--export-smartstore", str(nowhere))
    assert unwritable.stderr == f"Error: cannot write {nowhere}: folder {nowhere.parent} does not exist\n"
    assert snapshot(engine)["customers"] == []
    assert initialised("seed", "--customers", "5", "--export-smartstore", str(tmp_path / "x.xlsx")).exit_code == 0
