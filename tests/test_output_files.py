"""Output paths: never over the open database, the file being read, or a file of another kind.

`print cards -o delight.db`, `report --pdf delight.db` and `import … --skip-bad delight.db` once
replaced the live database, and `import feedback in.csv --skip-bad in.csv` emptied its input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.cli import cli
from planner.core.errors import OutputFileError
from planner.files.output_files import open_output_file

DATA = Path(__file__).parent / "data" / "import"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def planned_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    database = str(folder / "delight.db")
    for args in (["init"], ["seed", "--customers", "120", "--today", "2026-11-30"], ["plan", "--week", "2026-W49"]):
        result = CliRunner().invoke(cli, ["--db", database, *args])
        assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def shop(planned_shop: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(planned_shop)
    yield planned_shop


def delight(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", "delight.db", *args])


@pytest.mark.parametrize(
    "args",
    [
        ("print", "cards", "--week", "2026-W49", "-o", "delight.db"),
        ("print", "briefs", "--week", "2026-W49", "-o", "delight.db"),
        ("print", "labels", "--week", "2026-W49", "-o", "delight.db"),
        ("report", "--pdf", "delight.db"),
        ("import", "orders", str(DATA / "bad_orders.csv"), "--skip-bad", "delight.db"),
        ("import", "orders", str(DATA / "bad_orders.csv"), "--skip-bad", "delight.db-wal"),
        ("print", "cards", "--week", "2026-W49", "-o", "delight.db-shm"),
    ],
)
def test_never_writes_over_the_open_database(shop: Path, args: tuple[str, ...]) -> None:
    before = digest(shop / "delight.db")
    result = delight(*args)
    assert result.exit_code == 1, result.output
    target = args[-1]
    assert result.output.splitlines()[-1] == (
        f"Error: refusing to write {target}: it is the database delight has open; choose another file name"
    )
    assert digest(shop / "delight.db") == before
    assert delight("list", "--week", "2026-W49").exit_code == 0


def test_never_writes_the_bad_rows_over_the_file_being_read(shop: Path) -> None:
    feedback = shop / "in.csv"
    feedback.write_text(
        "feedback_id,customer_id,kind,rating,text,received_at\n"
        "F1,C0000002,review,5,lovely,2026-11-01\n"
        "F2,NOBODY,review,5,hi,2026-11-01\n",
        encoding="utf-8",
    )
    before = feedback.read_bytes()
    result = delight("import", "feedback", "in.csv", "--skip-bad", "in.csv")
    assert result.exit_code == 1
    assert result.output == "Error: refusing to write in.csv: it is the file being read; choose another file name\n"
    assert feedback.read_bytes() == before
    # A hard link to the input is the same file too.
    (shop / "same.csv").hardlink_to(feedback)
    result = delight("import", "feedback", "in.csv", "--skip-bad", "same.csv")
    assert "it is the file being read" in result.output
    assert feedback.read_bytes() == before


@pytest.mark.parametrize(
    ("existing", "args"),
    [
        ("taxes.xlsx", ("print", "cards", "--week", "2026-W49", "-o", "taxes.xlsx")),
        ("notes.txt", ("report", "--pdf", "notes.txt")),
        ("cards.pdf", ("import", "orders", str(DATA / "bad_orders.csv"), "--skip-bad", "cards.pdf")),
    ],
)
def test_never_replaces_a_file_of_another_kind(shop: Path, existing: str, args: tuple[str, ...]) -> None:
    contents = {"taxes.xlsx": b"PK\x03\x04 a workbook", "notes.txt": b"my notes\n", "cards.pdf": b"%PDF-1.4 cards"}
    (shop / existing).write_bytes(contents[existing])
    result = delight(*args)
    assert result.exit_code == 1
    kind = "CSV file" if "--skip-bad" in args else "PDF"
    assert result.output.splitlines()[-1] == (
        f"Error: refusing to overwrite {existing}: it is not a {kind} (delight only replaces a {kind} "
        "with a new one); choose another file name"
    )
    assert (shop / existing).read_bytes() == contents[existing]


def test_replaces_last_weeks_pdf_and_bad_rows(shop: Path) -> None:
    for _ in range(2):
        result = delight("print", "cards", "--week", "2026-W49", "-o", "cards.pdf")
        assert result.exit_code == 0, result.output
        assert (shop / "cards.pdf").read_bytes().startswith(b"%PDF-")
    (shop / "bad.csv").write_text("old,bad,rows\n", encoding="utf-8")
    result = delight("import", "orders", str(DATA / "bad_orders.csv"), "--skip-bad", "bad.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (shop / "bad.csv").read_text(encoding="utf-8-sig").startswith("order_id,customer_id")
    assert not [path for path in shop.iterdir() if path.name.endswith(".part")]


@pytest.mark.parametrize(
    "args",
    [
        ("print", "cards", "--week", "2026-W49", "-o", "/dev/full"),
        ("report", "--pdf", "/dev/full"),
        ("import", "orders", str(DATA / "bad_orders.csv"), "--skip-bad", "/dev/full"),
    ],
)
def test_a_full_disk_is_one_line_and_changes_nothing(shop: Path, args: tuple[str, ...]) -> None:
    before = digest(shop / "delight.db")
    result = delight(*args)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: cannot write /dev/full: No space left on device"
    assert digest(shop / "delight.db") == before


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    old = tmp_path / "cards.pdf"
    old.write_bytes(b"%PDF-1.4 last week")
    with pytest.raises(RuntimeError), open_output_file(old, "pdf") as output:
        output.write(b"%PDF-1.4 half of this")
        raise RuntimeError("rendering failed")
    assert old.read_bytes() == b"%PDF-1.4 last week"
    assert [path.name for path in tmp_path.iterdir()] == ["cards.pdf"]
    with pytest.raises(OutputFileError, match="it is a folder"), open_output_file(tmp_path, "pdf"):
        pass


def test_a_link_is_written_through_to_its_file(tmp_path: Path) -> None:
    real = tmp_path / "real.pdf"
    real.write_bytes(b"%PDF-1.4 old")
    (tmp_path / "link.pdf").symlink_to(real)
    with open_output_file(tmp_path / "link.pdf", "pdf") as output:
        output.write(b"%PDF-1.4 new")
    assert (tmp_path / "link.pdf").is_symlink()
    assert real.read_bytes() == b"%PDF-1.4 new"


def test_a_frame_is_written_as_the_same_safe_csv_as_its_rows() -> None:
    """Every customer's facts are written by polars: byte for byte what the row writer writes,
    formulas in customers' text included."""
    import io
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from planner.files.spreadsheet import FrameSheet, Sheet, write_sheet

    frame = pl.DataFrame(
        {
            "customer_id": [
                "C1",
                '=HYPERLINK("http://x")',
                "+82 10",
                "-1",
                "@SUM(A1)",
                "",
                None,
                'a "quoted", line\nbreak',
            ],
            "orders": [1, -2, 0, None, 5, 6, 7, 8],
            "spent": [Decimal("12.50"), Decimal("-3.00"), None, Decimal("0"), Decimal("1"), Decimal("2"), None, None],
            "items": [["머그컵", "=cmd|' /C calc'!A0"], [], None, ["a; b"], ["|pipe"], ["x"], [], ["y"]],
            "first": [date(2026, 11, 30), None, date(2000, 2, 29), None, None, None, None, None],
            "open": [True, False, None, True, False, True, False, True],
        },
        schema_overrides={"spent": pl.Decimal(38, 2)},
    )
    for bom in (True, False):
        by_polars, by_rows = io.BytesIO(), io.BytesIO()
        write_sheet(FrameSheet(frame), "csv", by_polars, bom=bom)
        write_sheet(Sheet(frame.columns, frame.iter_rows()), "csv", by_rows, bom=bom)
        assert by_polars.getvalue() == by_rows.getvalue()
    assert "'=HYPERLINK" in by_polars.getvalue().decode() and "'=cmd" not in by_polars.getvalue().decode()
