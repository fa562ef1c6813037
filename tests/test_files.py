"""Files in and out the way Excel makes and opens them: xlsx, UTF-16, CR line ends, blank and ragged rows,
duplicate columns, a line too long, unpriced items, formula-safe outputs, and the BOM only where Excel reads.

Run on SQLite and (when configured) PostgreSQL through the ``initialised`` fixture.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select
from store_rows import customers_by_external_id, items_of, lines, orders_by_external_id, snapshot

from db.models import Feedback
from planner.files import reading

FORMULA = '=HYPERLINK("http://evil.example","click")'


def workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text as typed, even "=…" (openpyxl would make it a formula)
    book.save(path)
    return path


def read_sheet(path: Path) -> list[list[Any]]:
    book = load_workbook(path, read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def text_cells(path: Path) -> dict[str, tuple[Any, str]]:
    """Every filled cell's value and data type ('s' text, 'f' formula, 'n' number …)."""
    book = load_workbook(path)
    cells = {cell.coordinate: (cell.value, cell.data_type) for row in book.active.iter_rows() for cell in row}
    return {where: cell for where, cell in cells.items() if cell[0] is not None}


# -- issue 16: a common orders shape without unit prices ---------------------------------------------


@pytest.mark.parametrize("dry_run", [False, True])
def test_items_without_a_unit_price_import(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path, dry_run: bool
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(
        "order_id,customer_id,placed_at,total,item_name\nA1,c1,2026-11-01,12000,머그컵\nA1,c1,2026-11-01,12000,엽서\n",
        encoding="utf-8",
    )
    result = initialised("import", "orders", str(source), *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 0, result.output
    assert "1 orders: 1 added, 0 updated, 0 unchanged." in result.stdout
    if not dry_run:
        assert orders_by_external_id(engine)["A1"].total_minor == 12000
        assert items_of(engine, "A1") == [("머그컵", None, 1, None), ("엽서", None, 1, None)]
        again = initialised("import", "orders", str(source))
        assert "1 orders: 0 added, 0 updated, 1 unchanged." in again.stdout


def test_an_order_without_a_total_needs_every_items_price(initialised: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(
        "order_id,customer_id,placed_at,item_name,quantity,unit_price\n"
        "A1,c1,2026-11-01,머그컵,2,12000\nA1,c1,2026-11-01,엽서,1,\n",
        encoding="utf-8",
    )
    result = initialised("import", "orders", str(source))
    assert result.exit_code == 1
    assert lines(result.stderr)[:2] == [
        "line 2: total: no amount, and not every line item has a unit price to add up",
        "line 3: another row of this order is bad (line 2)",
    ]


# -- issue 16: what Excel's files look like ---------------------------------------------------------


def test_trailing_empty_rows_are_skipped(initialised: Callable[..., Result], engine: Engine, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,customer_id,placed_at,total\r\nA1,c1,2026-11-01,100\r\n,,,\r\n,,,\r\n ,, ,\r\n")
    result = initialised("import", "orders", str(orders))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[0] == "orders.csv (CSV, UTF-8): 1 rows read."
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name\nc2,김민지\n,\n,\n")
    assert initialised("import", "customers", str(customers)).exit_code == 0
    assert set(customers_by_external_id(engine)) == {"c1", "c2"}


def test_trailing_empty_rows_in_a_log_import_are_skipped(planned_store: Callable[..., Result], tmp_path: Path) -> None:
    week = tmp_path / "week.csv"
    assert planned_store("list", "--week", "2026-W49", "-o", str(week)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(week.read_text(encoding="utf-8-sig"))))
    planned = next(row for row in rows if row["status"] == "planned")
    filled = f"gesture_id,status\r\n{planned['gesture_id']},sent\r\n,\r\n,\r\n"
    (tmp_path / "filled.csv").write_text(filled, encoding="utf-8")
    result = planned_store("log", "import", str(tmp_path / "filled.csv"), "--by", "지민")
    assert result.exit_code == 0, result.output


def test_carriage_return_line_ends_are_read_with_their_line_numbers(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "mac.csv"
    source.write_bytes(b"order_id,customer_id,placed_at,total\rA1,c1,2026-11-01,100\rA2,c1,someday,200\r")
    result = initialised("import", "orders", str(source))
    assert result.exit_code == 1
    assert lines(result.stderr)[0] == 'line 3: placed_at: unparseable date "someday"'
    source.write_bytes(b"order_id,customer_id,placed_at,total\rA1,c1,2026-11-01,100\rA2,c1,2026-11-02,200\r")
    assert initialised("import", "orders", str(source)).exit_code == 0
    assert set(orders_by_external_id(engine)) == {"A1", "A2"}


def test_excel_unicode_text_utf16_tab_separated_is_read(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "고객.txt"
    text = "customer_id\tname\temail\r\nc1\t김민지\tminji@example.com\r\nc2\t이서준\tseojun@example.com\r\n"
    source.write_bytes(text.encode("utf-16"))  # what Excel's "Unicode Text" save writes: a BOM, then UTF-16 LE
    result = initialised("import", "customers", str(source))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[0] == "고객.txt (CSV, UTF-16): 2 rows read."
    assert customers_by_external_id(engine)["c1"].name == "김민지"


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (
            "order_id,customer_id,placed_at,total,total",
            'Error: orders.csv: line 1: the columns "total" (column 4) and "total" (column 5) have the same name, '
            "so it is unclear which one to read: rename or remove one",
        ),
        (
            "order_id,Customer ID,placed_at,total,customer_id",
            'Error: orders.csv: the columns "Customer ID" and "customer_id" both read as customer_id: '
            "rename or remove one",
        ),
    ],
)
def test_duplicate_columns_are_refused_by_name(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path, header: str, error: str
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(f"{header}\nA1,c1,2026-11-01,100,100\n")
    before = snapshot(engine)
    result = initialised("import", "orders", str(source))
    assert result.exit_code == 1
    assert result.stderr == error + "\n"
    assert snapshot(engine) == before


def test_a_ragged_row_is_reported_with_its_line_and_its_cells_kept(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(
        "order_id,customer_id,placed_at,total\nA1,c1,2026-11-01,100\nA2,c1,2026-11-02,200,gift wrap,urgent\n"
        "A3,c1,2026-11-03,300,,\n"
    )
    before = snapshot(engine)
    result = initialised("import", "orders", str(source))
    assert result.exit_code == 1
    reason = "6 cells, but the header has 4 columns: the cells past the last column have no column name"
    assert lines(result.stderr)[0] == f"line 3: {reason}"
    assert snapshot(engine) == before
    skipped = tmp_path / "bad.csv"
    result = initialised("import", "orders", str(source), "--skip-bad", str(skipped))
    assert result.exit_code == 0, result.output
    assert set(orders_by_external_id(engine)) == {"A1", "A3"}  # trailing empty cells are no loss
    written = list(csv.reader(io.StringIO(skipped.read_text(encoding="utf-8-sig"))))
    assert written[1] == ["A2", "c1", "2026-11-02", "200", "3", reason, "gift wrap", "urgent"]


def test_a_huge_line_is_refused_with_its_number_before_it_is_read_whole(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "orders.csv"
    with source.open("w", encoding="utf-8") as handle:
        handle.write("order_id,customer_id,placed_at,total\nA1,c1,2026-11-01,100\n")
        handle.write("A2,c1,2026-11-01," + "9" * (reading.MAX_LINE_BYTES + (1 << 20)) + "\nA3,c1,2026-11-01,100\n")
    result = initialised("import", "orders", str(source))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: orders.csv: line 3 is longer than 8 MB: not a row of a table (is it the right file?)\n"
    )
    assert orders_by_external_id(engine) == {}


def test_a_huge_line_uses_bounded_memory(tmp_path: Path) -> None:
    # 64 MB on one line: reading it must fail having held at most a few MB, not the whole line.
    source = tmp_path / "huge.csv"
    with source.open("w", encoding="utf-8") as handle:
        handle.write("order_id,customer_id,placed_at,total\n")
        chunk = "9" * (1 << 20)
        for _ in range(64):
            handle.write(chunk)
        handle.write("\n")
    script = (
        "import resource, sys; from pathlib import Path; from planner.files.reading import inspect_file, read_rows\n"
        "from planner.core.errors import InputError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"source = inspect_file(Path({str(source)!r}))\n"
        "try:\n    list(read_rows(source))\nexcept InputError as exc:\n    print(exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    message, grown_mb = done.stdout.splitlines()
    assert message.startswith("huge.csv: line 2 is longer than")
    assert int(grown_mb) < 40


# -- issue 16: .xlsx in, wherever a CSV is read -------------------------------------------------------


def test_import_customers_orders_and_feedback_from_xlsx(
    initialised: Callable[..., Result], engine: Engine, tmp_path: Path
) -> None:
    customers = workbook(
        tmp_path / "customers.xlsx",
        [["customer_id", "name", "phone", "postal_code", "birthday"], ["c1", "김민지", "010-1234-5678", "04000", None]],
    )
    sheet = load_workbook(customers)
    sheet.active["E2"].value = date(1990, 3, 4)
    sheet.save(customers)
    orders = workbook(
        tmp_path / "orders.xlsx",
        [
            ["주문내역 2026년 11월"],  # a title row above the header
            ["order_id", "customer_id", "placed_at", "total", "item_name", "quantity", "unit_price"],
            ["A1", "c1", datetime(2026, 11, 1, 14, 3), 27000, "머그컵", 2, 13500.0],
            [None, None, None, None, None, None, None],
            ["A2", "c1", "2026-11-02", 5000, "엽서", 1, 5000],
        ],
    )
    feedback = workbook(
        tmp_path / "reviews.xlsx",
        [["customer_id", "order_id", "rating", "text", "received_at"], ["c1", "A1", 5, FORMULA, "2026-11-05"]],
    )
    for kind, path in (("customers", customers), ("orders", orders), ("feedback", feedback)):
        result = initialised("import", kind, str(path))
        assert result.exit_code == 0, result.output
    customer = customers_by_external_id(engine)["c1"]
    assert (customer.name, customer.phone, customer.postal_code, str(customer.birthday)) == (
        "김민지",
        "010-1234-5678",
        "04000",
        "1990-03-04",
    )
    placed = orders_by_external_id(engine)["A1"].placed_at
    assert placed.isoformat() == "2026-11-01T05:03:00+00:00"  # 14:03 in Seoul
    assert items_of(engine, "A1") == [("머그컵", None, 2, 13500)]
    with engine.connect() as connection:
        assert connection.execute(select(Feedback.text)).scalar_one() == FORMULA
    again = initialised("import", "orders", str(orders))
    assert lines(again.stdout)[:2] == [
        "orders.xlsx (Excel, xlsx, header on line 2): 2 rows read.",
        "2 orders: 0 added, 0 updated, 2 unchanged.",
    ]


def test_bad_rows_of_a_workbook_name_their_sheet_rows(initialised: Callable[..., Result], tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "orders.xlsx",
        [
            ["order_id", "customer_id", "placed_at", "total"],
            ["A1", "c1", "2026-11-01", 100],
            [],
            ["A2", "c1", "someday", 100],
        ],
    )
    result = initialised("import", "orders", str(path))
    assert result.exit_code == 1
    assert lines(result.stderr)[0] == 'line 4: placed_at: unparseable date "someday"'


def encrypt(plain: Path, password: str) -> Path:
    protected = plain.with_name("protected-" + plain.name)
    with plain.open("rb") as source, protected.open("wb") as target:
        OOXMLFile(source).encrypt(password, target)
    return protected


def test_a_password_protected_workbook(initialised: Callable[..., Result], engine: Engine, tmp_path: Path) -> None:
    plain = workbook(
        tmp_path / "orders.xlsx", [["order_id", "customer_id", "placed_at", "total"], ["A1", "c1", "2026-11-01", 100]]
    )
    protected = encrypt(plain, "비밀1234")
    result = initialised("import", "orders", str(protected))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: protected-orders.xlsx: the workbook is password-protected: "
        "pass --password, or save it again without a password\n"
    )
    wrong = initialised("import", "orders", str(protected), "--password", "guess")
    assert wrong.stderr == "Error: protected-orders.xlsx: wrong password for this workbook\n"
    assert orders_by_external_id(engine) == {}
    right = initialised("import", "orders", str(protected), "--password", "비밀1234")
    assert right.exit_code == 0, right.output
    assert set(orders_by_external_id(engine)) == {"A1"}


def test_an_old_xls_workbook_is_named_as_such(initialised: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "orders.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    result = initialised("import", "orders", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: orders.xls: an Excel 97-2003 workbook (.xls) or another Office file: save it as .xlsx or CSV UTF-8\n"
    )


def test_log_import_reads_the_xlsx_list_it_wrote(planned_store: Callable[..., Result], tmp_path: Path) -> None:
    week = tmp_path / "week.xlsx"
    result = planned_store("list", "--week", "2026-W49", "-o", str(week))
    assert result.exit_code == 0, result.output
    book = load_workbook(week)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    status_column = header.index("status") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, status_column).value == "planned")
    sheet.cell(row, status_column).value = "sent"
    gesture_id = sheet.cell(row, header.index("gesture_id") + 1).value
    book.save(week)
    logged = planned_store("log", "import", str(week), "--by", "지민")
    assert logged.exit_code == 0, logged.output
    history = planned_store("log", "history", str(gesture_id))
    assert "sent" in history.output and "지민" in history.output


# -- issue 16: what delight writes ----------------------------------------------------------------------


@pytest.fixture
def formula_store(initialised: Callable[..., Result], tmp_path: Path) -> Callable[..., Result]:
    """A store whose customer's name and review are formulas, with a plan for the week."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,name,placed_at,total,item_name,quantity,unit_price\n"
        f'O1,c1,"{FORMULA.replace(chr(34), chr(34) * 2)}",2026-11-20,30000,"@SUM(A1)",1,30000\n',
        encoding="utf-8",
    )
    assert initialised("import", "orders", str(path)).exit_code == 0
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(
        f'customer_id,text,rating,received_at\nc1,"{FORMULA.replace(chr(34), chr(34) * 2)}",1,2026-11-21\n'
    )
    assert initialised("import", "feedback", str(reviews)).exit_code == 0
    return initialised


def test_the_skip_bad_file_is_formula_safe_in_csv_and_xlsx(initialised: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(
        f'order_id,customer_id,placed_at,total\n"{FORMULA.replace(chr(34), chr(34) * 2)}",c1,someday,100\n'
        "-1+2,#DIV/0!,2026-11-01,-5\n"
    )
    as_csv, as_xlsx = tmp_path / "bad.csv", tmp_path / "bad.xlsx"
    assert initialised("import", "orders", str(source), "--skip-bad", str(as_csv)).exit_code == 0
    written = as_csv.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(written.decode("utf-8-sig"))))
    assert rows[1][0] == "'" + FORMULA and rows[2][0] == "'-1+2" and rows[2][3] == "'-5"
    assert initialised("import", "orders", str(source), "--skip-bad", str(as_xlsx)).exit_code == 0
    cells = text_cells(as_xlsx)
    assert cells["A2"] == (FORMULA, "s") and cells["A3"] == ("-1+2", "s") and cells["D3"] == ("-5", "s")
    assert cells["B3"] == ("#DIV/0!", "s")  # not an error value
    assert read_sheet(as_xlsx)[0] == ["order_id", "customer_id", "placed_at", "total", "line", "reason"]


@pytest.mark.parametrize(
    ("command", "options", "customer_text"),
    [
        (("list",), ("--week", "2026-W49"), FORMULA),  # the customer's name
        (("facts",), ("--as-of", "2026-11-30"), "@SUM(A1)"),  # what they bought
        (("feedback", "list"), (), FORMULA),  # what they said
        (("export", "messages"), ("--week", "2026-W49"), None),  # no cheer message this week: the header only
    ],
)
def test_every_table_writes_xlsx_with_customer_text_as_text(
    formula_store: Callable[..., Result],
    tmp_path: Path,
    command: tuple[str, ...],
    options: tuple[str, ...],
    customer_text: str | None,
) -> None:
    formula_store("plan", "--week", "2026-W49", "--seed", "1")
    by_name = tmp_path / "out.xlsx"
    result = formula_store(*command, *options, "-o", str(by_name))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {by_name}.\n"
    cells = text_cells(by_name)
    formulas = [cell for cell in cells.values() if cell[1] == "f"]
    assert formulas == []
    by_format = formula_store(*command, *options, "--format", "xlsx")
    assert by_format.exit_code == 0
    assert by_format.stdout_bytes[:2] == b"PK"
    header = read_sheet(by_name)[0]
    as_csv = formula_store(*command, *options, "--format", "csv").output
    assert next(csv.reader(io.StringIO(as_csv))) == header
    if customer_text is not None:
        assert (customer_text, "s") in cells.values()


def test_an_output_format_and_a_file_name_must_agree(formula_store: Callable[..., Result], tmp_path: Path) -> None:
    result = formula_store("facts", "--format", "csv", "-o", str(tmp_path / "facts.xlsx"))
    assert result.exit_code == 1
    assert result.stderr == "Error: --format csv does not match the file name facts.xlsx: use one or the other\n"
    for name in ("facts.dat", "facts.txt"):  # facts has no table format
        unknown = formula_store("facts", "-o", str(tmp_path / name))
        assert unknown.stderr == (
            f"Error: -o {name}: cannot tell the format from the name: add --format, or end it in .csv, .xlsx, .json\n"
        )
    table = formula_store("feedback", "list", "-o", str(tmp_path / "inbox.txt"))
    assert table.exit_code == 0
    assert "1 shown; 1 overdue" in (tmp_path / "inbox.txt").read_text(encoding="utf-8")


def run_cli(database: Path, *arguments: str, stdout: Any) -> None:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    subprocess.run(
        [sys.executable, "-m", "planner", "--db", str(database), *arguments], stdout=stdout, check=True, env=environment
    )


def test_a_bom_for_files_excel_opens_but_not_for_pipes(tmp_path: Path) -> None:
    database = tmp_path / "shop.db"
    run_cli(database, "init", stdout=subprocess.DEVNULL)
    run_cli(database, "seed", "--customers", "20", "--today", "2026-11-30", stdout=subprocess.DEVNULL)
    redirected = tmp_path / "facts.csv"
    with redirected.open("wb") as handle:
        run_cli(database, "facts", "--as-of", "2026-11-30", stdout=handle)
    assert redirected.read_bytes().startswith(b"\xef\xbb\xbfcustomer_id,")
    piped = subprocess.run(
        [sys.executable, "-m", "planner", "--db", str(database), "facts", "--as-of", "2026-11-30"],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert piped.stdout.startswith(b"customer_id,")
    assert next(csv.DictReader(io.StringIO(piped.stdout.decode("utf-8"))))["customer_id"]
    named = tmp_path / "named.csv"
    run_cli(database, "facts", "--as-of", "2026-11-30", "-o", str(named), stdout=subprocess.DEVNULL)
    assert named.read_bytes().startswith(b"\xef\xbb\xbf")
