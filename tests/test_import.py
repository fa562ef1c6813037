"""Importing customers, orders and feedback: formats, encodings, idempotence, bad rows, safety.

Store tests run on SQLite and (when configured) PostgreSQL through the ``engine`` /
``initialised`` fixtures. Sample files live in ``tests/data/import``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from sqlalchemy import Engine, select, update
from store_rows import customers_by_external_id, items_of, lines, orders_by_external_id, snapshot

from db.importers import ImportOptions, import_file, load_mapping
from db.models import Customer, Feedback
from planner.core.errors import InputError, RejectedImport
from planner.files.parsing import parse_amount, parse_datetime

DATA = Path(__file__).parent / "data" / "import"
SEOUL = ZoneInfo("Asia/Seoul")
TRANSACTION_MAP = ("--map", "member=customer_id", "--map", "date=placed_at", "--map", "amount=total")


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29T14:03:00+09:00", datetime(2026, 11, 29, 5, 3, tzinfo=UTC)),
        ("2026-11-29 14:03:00 +0900", datetime(2026, 11, 29, 5, 3, tzinfo=UTC)),
        ("2026-11-29T05:03:00Z", datetime(2026, 11, 29, 5, 3, tzinfo=UTC)),
        ("2026-11-29 14:03", datetime(2026, 11, 29, 5, 3, tzinfo=UTC)),
        ("2026.11.29", datetime(2026, 11, 28, 15, 0, tzinfo=UTC)),
        ("2026.11.29 14:03", datetime(2026, 11, 29, 5, 3, tzinfo=UTC)),
        ("20261129", datetime(2026, 11, 28, 15, 0, tzinfo=UTC)),
        ("11/29/2026", datetime(2026, 11, 28, 15, 0, tzinfo=UTC)),
    ],
)
def test_dates_without_a_zone_are_in_the_shops_zone(text: str, expected: datetime) -> None:
    assert parse_datetime(text, SEOUL) == expected


@pytest.mark.parametrize("text", ["2026-13-45", "tomorrow", "29/11/2026 25:00", ""])
def test_unparseable_dates_say_so(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_datetime(text, SEOUL)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("12000", False, (Decimal("12000"), None)),
        ("12,000", False, (Decimal("12000"), None)),
        ("₩12,000", False, (Decimal("12000"), "KRW")),
        ("￦12,000", False, (Decimal("12000"), "KRW")),
        ("12,000원", False, (Decimal("12000"), "KRW")),
        ("$1,234.50", False, (Decimal("1234.50"), "USD")),
        ("1.234,50 €", True, (Decimal("1234.50"), "EUR")),
        ("(5.00)", False, (Decimal("-5.00"), None)),
    ],
)
def test_amounts_are_exact_decimals(text: str, decimal_comma: bool, expected: tuple[Decimal, str | None]) -> None:
    assert parse_amount(text, decimal_comma) == expected


@pytest.mark.parametrize("text", ["12.000.5", "twelve", "1,2,3.4.5", "$"])
def test_unparseable_amounts_say_so(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(text)


# -- Shopify -----------------------------------------------------------------------------------


def test_shopify_orders_export_with_line_items_cancellations_and_refunds(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    result = initialised("import", "orders", str(DATA / "shopify_orders.csv"))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        "shopify_orders.csv (Shopify orders export, UTF-8): 8 rows read.",
        "5 orders: 5 added, 0 updated, 0 unchanged.",
        "4 customers: 4 added, 0 updated, 0 unchanged.",
    ]
    orders = orders_by_external_id(engine)
    assert {key: (row.status, row.total_minor, row.currency) for key, row in orders.items()} == {
        "#1001": ("paid", 44000, "KRW"),
        "#1002": ("paid", 28000, "KRW"),
        "#1003": ("cancelled", 15000, "KRW"),  # voided and Cancelled at
        "#1004": ("refunded", 30000, "KRW"),
        "#1005": ("paid", 56000, "KRW"),  # partially refunded is still a purchase
    }
    assert orders["#1001"].placed_at == datetime(2026, 11, 2, 1, 15, tzinfo=UTC)
    assert items_of(engine, "#1005") == [
        ("Bamboo tea scoop", "SCOOP-BAMBOO", 1, 15000),
        ("Celadon tea cup", "CUP-CELADON", 1, 17000),
        ("Jeju green tea 50g", "TEA-JEJU-50", 2, 12000),
    ]
    customers = customers_by_external_id(engine)
    # Shopify customers are known by their email, lower-cased: #1001 and #1005 are one customer.
    assert orders["#1001"].customer_id == orders["#1005"].customer_id == customers["ada.lovelace@example.com"].id
    minji = customers["minji.kim@example.com"]
    assert (minji.name, minji.language, minji.postal_code, minji.country) == ("김민지", "ko", "04001", "KR")
    assert minji.do_not_contact  # Accepts Marketing = no
    assert not customers["sora@example.com"].do_not_contact
    assert customers["ada.lovelace@example.com"].language == "en"


def test_shopify_customers_export(initialised: Callable[..., Result], engine: Engine) -> None:
    result = initialised("import", "customers", str(DATA / "shopify_customers.csv"))
    assert result.exit_code == 0, result.output
    assert "4 customers: 4 added, 0 updated, 0 unchanged." in result.stdout
    customers = customers_by_external_id(engine)
    assert set(customers) == {
        "ada.lovelace@example.com",
        "minji.kim@example.com",
        "grace@example.com",
        "shopify:7012345600004",  # no email: known by its Shopify id
    }
    minji = customers["minji.kim@example.com"]
    assert (minji.name, minji.first_name, minji.language) == ("김민지", "민지", "ko")
    assert (minji.address1, minji.address2, minji.region, minji.postal_code) == (
        "서울특별시 마포구 월드컵로 12",
        "101동 202호",
        "11",
        "04001",
    )
    assert minji.do_not_contact  # Accepts Email Marketing = no
    ada = customers["ada.lovelace@example.com"]
    assert (ada.name, ada.language, ada.phone, ada.do_not_contact) == ("Ada Lovelace", "en", "+44 20 7946 0000", False)


def test_a_shopify_export_reimported_changes_nothing(initialised: Callable[..., Result], engine: Engine) -> None:
    assert initialised("import", "customers", str(DATA / "shopify_customers.csv")).exit_code == 0
    assert initialised("import", "orders", str(DATA / "shopify_orders.csv")).exit_code == 0
    before = snapshot(engine)
    again = initialised("import", "orders", str(DATA / "shopify_orders.csv"))
    assert again.exit_code == 0
    assert "5 orders: 0 added, 0 updated, 5 unchanged." in again.stdout
    customers_again = initialised("import", "customers", str(DATA / "shopify_customers.csv"))
    assert "4 customers: 0 added, 0 updated, 4 unchanged." in customers_again.stdout
    assert snapshot(engine) == before


def test_a_newer_export_updates_changed_orders_and_adds_new_ones(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    assert initialised("import", "orders", str(DATA / "shopify_orders.csv")).exit_code == 0
    result = initialised("import", "orders", str(DATA / "shopify_orders_newer.csv"))
    assert result.exit_code == 0
    assert lines(result.stdout)[1:] == [
        "6 orders: 1 added, 1 updated, 4 unchanged.",
        "1 customers: 1 added, 0 updated, 0 unchanged.",
    ]
    orders = orders_by_external_id(engine)
    assert orders["#1002"].status == "refunded"
    assert orders["#1006"].total_minor == 27000
    assert items_of(engine, "#1001") == [
        ("Celadon tea cup", "CUP-CELADON", 1, 17000),
        ("Jeju green tea 50g", "TEA-JEJU-50", 2, 12000),
    ]


def test_format_shopify_refuses_another_file(initialised: Callable[..., Result]) -> None:
    result = initialised("import", "orders", str(DATA / "transactions.csv"), "--format", "shopify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: transactions.csv: not a Shopify orders export "
        "(no column Name, Email, Financial Status, Created at, Lineitem name, Lineitem quantity)\n"
    )


# -- Korean files, encodings, mappings ----------------------------------------------------------------


def test_cp949_file_with_korean_headers_through_a_mapping_file(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    assert (DATA / "korean_orders_cp949.csv").read_bytes().decode("cp949").startswith("주문번호")
    result = initialised(
        "import", "orders", str(DATA / "korean_orders_cp949.csv"), "--mapping", str(DATA / "korean_orders.toml")
    )
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[:2] == [
        "korean_orders_cp949.csv (CSV, CP949): 5 rows read.",
        "4 orders: 4 added, 0 updated, 0 unchanged.",
    ]
    orders = orders_by_external_id(engine)
    first = orders["K-20261101-001"]
    assert (first.total_minor, first.currency, first.status) == (37000, "KRW", "paid")
    assert first.placed_at == datetime(2026, 11, 1, 4, 20, tzinfo=UTC)  # 13:20 in Seoul
    assert items_of(engine, "K-20261101-001") == [("백자 찻잔", None, 1, 13000), ("제주 녹차 50g", None, 2, 12000)]
    assert orders["K-20261102-007"].placed_at == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    assert orders["K-20261103-002"].status == "refunded"
    assert orders["K-20261104-010"].status == "cancelled"
    assert customers_by_external_id(engine)["M0001"].name == "김민지"


def test_korean_headers_through_map_options_and_an_explicit_encoding(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    result = initialised(
        "import",
        "orders",
        str(DATA / "korean_orders_cp949.csv"),
        "--encoding",
        "cp949",
        *("--map", "주문번호=order_id", "--map", "주문일시=placed_at", "--map", "회원번호=customer_id"),
        *("--map", "고객명=name", "--map", "결제금액=total", "--map", "주문상태=status"),
    )
    assert result.exit_code == 0, result.output
    assert "4 orders: 4 added, 0 updated, 0 unchanged." in result.stdout


def test_a_cp949_file_read_as_utf8_is_one_clear_error(initialised: Callable[..., Result]) -> None:
    result = initialised("import", "orders", str(DATA / "korean_orders_cp949.csv"), "--encoding", "utf-8")
    assert result.exit_code == 1
    assert result.stderr == "Error: korean_orders_cp949.csv: line 1 is not UTF-8 text: try --encoding auto\n"


def test_a_file_without_a_byte_order_mark_read_as_utf16_is_one_clear_error(
    initialised: Callable[..., Result], tmp_path: Path
) -> None:
    plain = tmp_path / "orders.csv"
    plain.write_text("order_id,customer_id,placed_at,total\nA1,C1,2026-11-01,100\n", encoding="utf-8")
    result = initialised("import", "orders", str(plain), "--encoding", "utf-16")
    assert result.exit_code == 1
    assert result.stderr == "Error: orders.csv: line 1 is not UTF-16 text: try --encoding auto\n"


def test_utf8_with_bom_and_columns_named_like_fields(initialised: Callable[..., Result], engine: Engine) -> None:
    assert (DATA / "customers_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = initialised("import", "customers", str(DATA / "customers_bom.csv"))
    assert result.exit_code == 0, result.output
    assert "3 customers: 3 added, 0 updated, 0 unchanged." in result.stdout
    customers = customers_by_external_id(engine)
    assert (customers["M0001"].name, customers["M0001"].birthday) == ("김민지", date(1990, 4, 12))
    assert (customers["M0002"].language, customers["M0002"].birthday) == ("ko", date(1988, 7, 3))
    assert customers["M0002"].do_not_contact
    assert (customers["M0003"].language, customers["M0003"].country) == ("en", "US")


def test_decimal_comma_semicolons_and_euros_from_a_mapping_file(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "bestellungen.csv"
    source.write_text("Bestellnr;Kunde;Datum;Summe\nB-1;K-9;29.11.2026;1.234,50 €\n", encoding="utf-8")
    mapping = tmp_path / "shop.toml"
    mapping.write_text(
        'decimal_comma = true\ncurrency = "EUR"\ntimezone = "Europe/Berlin"\ndate_format = "%d.%m.%Y"\n'
        '[columns]\n"Bestellnr" = "order_id"\n"Kunde" = "customer_id"\n"Datum" = "placed_at"\n"Summe" = "total"\n',
        encoding="utf-8",
    )
    result = initialised("import", "orders", str(source), "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    order = orders_by_external_id(engine)["B-1"]
    assert (order.total_minor, order.currency) == (123450, "EUR")
    assert order.placed_at == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)


def test_a_map_to_an_unknown_field_suggests_the_right_one(initialised: Callable[..., Result]) -> None:
    result = initialised("import", "orders", str(DATA / "transactions.csv"), "--map", "date=placd_at")
    assert result.exit_code == 1
    assert (
        result.stderr == 'Error: --map "date=placd_at": unknown orders field "placd_at" (did you mean "placed_at"?)\n'
    )


def test_a_bad_mapping_file_is_one_clear_error(tmp_path: Path) -> None:
    mapping = tmp_path / "shop.toml"
    mapping.write_text('timezone = "Mars/Olympus"\n', encoding="utf-8")
    with pytest.raises(InputError, match='unknown time zone "Mars/Olympus"'):
        load_mapping(mapping)


# -- bare transaction lists ------------------------------------------------------------------


def test_a_bare_transaction_list_creates_customers_and_keeps_genuine_repeats(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    result = initialised("import", "orders", str(DATA / "transactions.csv"), *TRANSACTION_MAP)
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[1:] == [
        "5 orders: 5 added, 0 updated, 0 unchanged.",
        "3 customers: 3 added, 0 updated, 0 unchanged.",
    ]
    customers = customers_by_external_id(engine)
    assert {key: (row.name, row.language) for key, row in customers.items()} == {
        "C-101": (None, "ko"),
        "C-102": (None, "ko"),
        "C-103": (None, "ko"),
    }
    orders = orders_by_external_id(engine).values()
    twice = [order for order in orders if order.customer_id == customers["C-102"].id]
    assert [order.total_minor for order in twice] == [8500, 8500]  # the same purchase, made twice
    again = initialised("import", "orders", str(DATA / "transactions.csv"), *TRANSACTION_MAP)
    assert lines(again.stdout)[1:] == ["5 orders: 0 added, 0 updated, 5 unchanged."]


# -- bad rows --------------------------------------------------------------------------------


BAD_ROW_LINES = [
    'line 3: placed_at: unparseable date "2026-13-45"',
    'line 4: total: unparseable amount "12.000.5"',
    "line 5: missing customer (no customer_id or email)",
    'line 6: status: unknown status "shipped-ish" (use paid, refunded or cancelled, or map it under [status])',
    "line 7: quantity: -2 is negative",
    "line 8: another row of this order is bad (line 9)",
    'line 9: duplicate order "A-7" with a different total: "9900" here, "9000" on line 8',
]


def test_every_bad_row_is_reported_and_nothing_is_imported(initialised: Callable[..., Result], engine: Engine) -> None:
    assert initialised("import", "orders", str(DATA / "transactions.csv"), *TRANSACTION_MAP).exit_code == 0
    before = snapshot(engine)
    result = initialised("import", "orders", str(DATA / "bad_orders.csv"))
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        *BAD_ROW_LINES,
        "Error: bad_orders.csv: 7 bad rows, so nothing was imported: fix them, "
        "or pass --skip-bad FILE to import the good rows and set the bad ones aside",
    ]
    assert result.stdout == ""
    assert snapshot(engine) == before


def test_skip_bad_imports_the_good_rows_and_writes_the_bad_ones(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    bad_file = tmp_path / "bad-rows.csv"
    result = initialised("import", "orders", str(DATA / "bad_orders.csv"), "--skip-bad", str(bad_file))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[1:] == [
        "2 orders: 2 added, 0 updated, 0 unchanged.",
        "2 customers: 2 added, 0 updated, 0 unchanged.",
        f"7 bad rows skipped, written to {bad_file}.",
    ]
    assert set(orders_by_external_id(engine)) == {"A-1", "A-8"}
    with bad_file.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle))
    header = ["order_id", "customer_id", "placed_at", "total", "status", "item_name", "quantity", "unit_price"]
    assert written[0] == [*header, "line", "reason"]
    assert written[1] == [
        "A-2",
        "C-1",
        "2026-13-45",
        "12000",
        "paid",
        "Green tea",
        "1",
        "12000",
        "3",
        BAD_ROW_LINES[0][8:],
    ]
    assert [(row[-2], row[-1]) for row in written[1:]] == [
        (bad.split(": ", 1)[0].removeprefix("line "), bad.split(": ", 1)[1]) for bad in BAD_ROW_LINES
    ]


def test_many_bad_rows_are_capped_with_a_count(initialised: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(
        "order_id,customer_id,placed_at,total\n" + "".join(f"X-{n},C-1,someday,100\n" for n in range(120)),
        encoding="utf-8",
    )
    result = initialised("import", "orders", str(source))
    assert result.exit_code == 1
    shown = lines(result.stderr)
    assert shown[0] == 'line 2: placed_at: unparseable date "someday"'
    assert shown[-2] == "… and 70 more bad rows"
    assert len(shown) == 52


def test_an_order_id_further_down_must_repeat_its_order_exactly(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    header = "order_id,customer_id,placed_at,total,item_name,quantity,unit_price\n"
    first = "O-1,C-1,2026-11-01,3000,Tea,1,3000\nO-2,C-2,2026-11-01,500,Cup,1,500\n"
    exact = tmp_path / "exact.csv"
    exact.write_text(header + first + "O-1,C-1,2026-11-01,3000,Tea,1,3000\n", encoding="utf-8")
    result = initialised("import", "orders", str(exact))
    assert result.exit_code == 0, result.output
    assert 'Warning: line 4 repeats order "O-1" exactly: ignored' in result.stderr
    assert "2 orders: 2 added" in result.stdout
    different = tmp_path / "different.csv"
    different.write_text(header + first + "O-1,C-1,2026-11-01,3000,Scone,1,3000\n", encoding="utf-8")
    before = snapshot(engine)
    result = initialised("import", "orders", str(different))
    assert result.exit_code == 1
    assert lines(result.stderr)[0] == 'line 4: duplicate order "O-1" further down the file with different data'
    assert snapshot(engine) == before


def test_dry_run_reports_and_writes_nothing(initialised: Callable[..., Result], engine: Engine) -> None:
    before = snapshot(engine)
    result = initialised("import", "orders", str(DATA / "shopify_orders.csv"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[1:] == [
        "5 orders: 5 added, 0 updated, 0 unchanged.",
        "4 customers: 4 added, 0 updated, 0 unchanged.",
        "Dry run: nothing was written to the database.",
    ]
    assert snapshot(engine) == before


# -- files that are not what they claim -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("empty.csv", b"", "Error: empty.csv: the file is empty (expected a header line and rows)"),
        ("blank.csv", b"\xef\xbb\xbf\r\n\r\n", "Error: blank.csv: the file is empty (expected a header line and rows)"),
        (
            "photo.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "Error: photo.csv: not a text file or an Excel workbook",
        ),
        (
            "orders.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00" + bytes(200),
            "Error: orders.xlsx: a damaged ZIP file or workbook: save it again from Excel",
        ),
        (
            "customers.csv",
            b"First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n",
            "Error: customers.csv: not an orders file: no column for placed_at "
            '(its columns: First Name, Last Name, Email); name one with --map "COLUMN=placed_at"',
        ),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_one_clear_error(
    initialised: Callable[..., Result], tmp_path: Path, name: str, content: bytes, error: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = initialised("import", "orders", str(path))
    assert result.exit_code == 1
    assert result.stderr == error + "\n"
    assert "Traceback" not in result.output


def test_a_missing_file_is_one_clear_error(initialised: Callable[..., Result], tmp_path: Path) -> None:
    result = initialised("import", "customers", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope.csv'}: no such file\n"


# -- erased and opted-out customers ------------------------------------------------------------------


def test_erased_customers_stay_erased_and_opt_outs_survive_reimport(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    assert initialised("import", "customers", str(DATA / "customers_bom.csv")).exit_code == 0
    table = Customer.__table__
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.external_id == "M0001")
            .values(
                name=None,
                first_name=None,
                email=None,
                phone=None,
                birthday=None,
                city=None,
                erased_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )
        connection.execute(update(table).where(table.c.external_id == "M0003").values(do_not_contact=True))
    erased_before = customers_by_external_id(engine)["M0001"]

    result = initialised("import", "customers", str(DATA / "customers_bom.csv"))
    assert result.exit_code == 0, result.output
    assert "3 customers: 0 added, 0 updated, 2 unchanged, 1 skipped (erased)." in result.stdout
    assert 'Warning: line 2: customer "M0001" asked to be forgotten: kept erased, row skipped' in result.stderr
    customers = customers_by_external_id(engine)
    assert customers["M0001"] == erased_before
    assert customers["M0003"].do_not_contact  # the file says nothing, the opt-out stays

    # Nor do their orders bring them back.
    orders = initialised(
        "import", "orders", str(DATA / "korean_orders_cp949.csv"), "--mapping", str(DATA / "korean_orders.toml")
    )
    assert "4 orders: 2 added, 0 updated, 0 unchanged, 2 skipped (erased)." in orders.stdout
    assert customers_by_external_id(engine)["M0001"] == erased_before


def test_a_file_saying_opted_in_does_not_undo_an_opt_out(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    assert initialised("import", "customers", str(DATA / "customers_bom.csv")).exit_code == 0
    source = tmp_path / "customers.csv"
    source.write_text("customer_id,name,do_not_contact\nM0002,이서연,no\n", encoding="utf-8")
    result = initialised("import", "customers", str(source))
    assert "1 customers: 0 added, 0 updated, 1 unchanged." in result.stdout
    assert customers_by_external_id(engine)["M0002"].do_not_contact


def test_accepts_marketing_no_in_a_later_orders_export_opts_a_customer_out(
    initialised: Callable[..., Result], engine: Engine
) -> None:
    source = DATA / "shopify_customers.csv"
    assert initialised("import", "customers", str(source)).exit_code == 0
    assert not customers_by_external_id(engine)["ada.lovelace@example.com"].do_not_contact
    assert customers_by_external_id(engine)["minji.kim@example.com"].do_not_contact
    result = initialised("import", "orders", str(DATA / "shopify_orders.csv"))
    assert "0 updated" in lines(result.stdout)[2]  # Minji was already opted out; nobody else said no


# -- feedback ----------------------------------------------------------------------------------


def test_feedback_links_customers_and_orders_and_reimports_unchanged(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    assert initialised("import", "customers", str(DATA / "customers_bom.csv")).exit_code == 0
    assert (
        initialised(
            "import", "orders", str(DATA / "korean_orders_cp949.csv"), "--mapping", str(DATA / "korean_orders.toml")
        ).exit_code
        == 0
    )
    result = initialised("import", "feedback", str(DATA / "feedback.csv"))
    assert result.exit_code == 0, result.output
    assert "3 feedback: 3 added, 0 updated, 0 unchanged." in result.stdout
    with engine.connect() as connection:
        rows = {row.external_id: row for row in connection.execute(select(Feedback.__table__))}
    assert (rows["R-1"].kind, rows["R-1"].rating) == ("review", 5)
    assert rows["R-1"].order_id == orders_by_external_id(engine)["K-20261101-001"].id
    assert rows["R-2"].kind == "complaint"
    assert rows["R-3"].text == "Lovely teapot, pours well"
    again = initialised("import", "feedback", str(DATA / "feedback.csv"))
    assert "3 feedback: 0 added, 0 updated, 3 unchanged." in again.stdout

    unknown = tmp_path / "reviews.csv"
    unknown.write_text("customer_id,rating,received_at\nNOBODY,4,2026-11-01\nM0001,9,2026-11-01\n", encoding="utf-8")
    result = initialised("import", "feedback", str(unknown))
    assert lines(result.stderr)[:2] == [
        'line 2: unknown customer "NOBODY" (import customers or orders first)',
        "line 3: rating: 9 is not between 1 and 5",
    ]


# -- the library -------------------------------------------------------------------------------


def test_the_library_reports_progress_in_bytes_and_rejects_with_a_summary(engine: Engine) -> None:
    read: list[int] = []
    summary = import_file(engine, "orders", DATA / "shopify_orders.csv", progress=read.append)
    assert sum(read) == (DATA / "shopify_orders.csv").stat().st_size
    assert summary.records.added == 5
    with pytest.raises(RejectedImport) as rejected:
        import_file(engine, "orders", DATA / "bad_orders.csv", ImportOptions(format="csv"))
    assert str(rejected.value).startswith("bad_orders.csv: 7 bad rows, so nothing was imported")
    assert [detail.split(":")[0] for detail in rejected.value.details] == [f"line {n}" for n in range(3, 10)]
