"""`delight list --format csv` → a spreadsheet → `delight log import`: the file round-trips."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from db.models import AuditEvent, Customer, Gesture

WEEK = "2026-W49"
FORMULA_NAME = '=HYPERLINK("x")'


@pytest.fixture
def seeded(initialised: Callable[..., Result], store: Engine) -> Callable[..., Result]:
    result = initialised("seed", "--customers", "300", "--seed", "3", "--today", "2026-11-30", "--locale", "mixed")
    assert result.exit_code == 0, result.output
    assert initialised("plan", "--week", WEEK, "--seed", "1").exit_code == 0
    with Session(store) as session, session.begin():
        first = session.execute(
            select(Gesture.customer_id).where(Gesture.status == "planned").order_by(Gesture.id).limit(1)
        ).scalar_one()
        session.execute(update(Customer).where(Customer.id == first).values(name=FORMULA_NAME))
    return initialised


def exported(run: Callable[..., Result], folder: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The week as `delight list -o week.csv` writes it for Excel (with a BOM)."""
    path = folder / "exported-week.csv"
    assert run("list", "--week", WEEK, "--status", "all", "-o", str(path)).exit_code == 0
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text[1:], newline=""))
    return list(reader.fieldnames or []), list(reader)


def save(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def statuses(store: Engine) -> dict[int, tuple[str, str | None, str | None]]:
    with Session(store) as session:
        rows = session.execute(select(Gesture.id, Gesture.status, Gesture.sent_by, Gesture.note))
        return {gesture_id: (status, by, note) for gesture_id, status, by, note in rows}


def test_the_list_csv_round_trips_through_log_import(
    seeded: Callable[..., Result], store: Engine, tmp_path: Path
) -> None:
    header, rows = exported(seeded, tmp_path)
    tricky = next(row for row in rows if row["customer_name"] == "'" + FORMULA_NAME)  # the exporter's guard
    korean = next(row for row in rows if row["language"] == "ko" and row["status"] == "planned" and row is not tricky)
    planned = [row for row in rows if row["status"] == "planned" and row not in (tricky, korean)]
    tricky.update(status="sent", by="=cmd|' /C calc'!A0", note="-손편지 좋아하심")
    korean.update(status="skipped", by="지민", note="주소 확인 필요")
    planned[0]["status"] = "FAILED "
    header += ["by", "note"]
    result = seeded("log", "import", str(save(tmp_path / "week.csv", header, rows)), "--by", "ana")
    assert result.exit_code == 0, result.output
    left = len(rows) - 3
    assert result.output.splitlines() == [
        "Logged 3 gestures (1 failed, 1 sent, 1 skipped).",
        f"Left {left} rows still planned or held out as they are.",
    ]
    now = statuses(store)
    assert now[int(tricky["gesture_id"])] == ("sent", "=cmd|' /C calc'!A0", "-손편지 좋아하심")
    assert now[int(korean["gesture_id"])] == ("skipped", None, "주소 확인 필요")
    assert now[int(planned[0]["gesture_id"])] == ("failed", None, None)
    with Session(store) as session:
        actors = set(session.execute(select(AuditEvent.actor).where(AuditEvent.entity == "gesture")).scalars())
    assert actors == {"=cmd|' /C calc'!A0", "지민", "ana"}
    # The exported names survive the trip, and the next export is still safe to open.
    _, again = exported(seeded, tmp_path)
    assert {row["customer_name"] for row in again} == {row["customer_name"] for row in rows}
    # Importing the same file again changes nothing and says so.
    repeat = seeded("log", "import", str(tmp_path / "week.csv"))
    assert repeat.exit_code == 0
    assert repeat.output.startswith("Logged 0 gestures.\n")
    assert repeat.output.count("already logged as") == 3
    assert statuses(store) == now


def test_excel_cp949_semicolons_and_no_bom(seeded: Callable[..., Result], store: Engine, tmp_path: Path) -> None:
    header, rows = exported(seeded, tmp_path)
    rows = [row for row in rows if row["customer_name"] != "'" + FORMULA_NAME]
    korean = [row for row in rows if row["status"] == "planned" and row["language"] == "ko"][:2]
    for row in korean:
        row["status"] = "sent"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "excel.csv"
    path.write_bytes(buffer.getvalue().encode("cp949"))
    result = seeded("log", "import", str(path), "--by", "민수")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Logged 2 gestures (2 sent).")
    now = statuses(store)
    assert all(now[int(row["gesture_id"])][:2] == ("sent", "민수") for row in korean)


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_logged(
    seeded: Callable[..., Result], store: Engine, tmp_path: Path
) -> None:
    header, rows = exported(seeded, tmp_path)
    before = statuses(store)
    planned = [row for row in rows if row["status"] == "planned"]
    held = next(row for row in rows if row["status"] == "held_out")
    line_of = {id(row): index + 2 for index, row in enumerate(rows)}  # the header is line 1
    planned[0]["status"] = "sent"  # good
    planned[1]["status"] = "done"
    planned[2]["status"] = ""
    planned[3].update(status="sent", customer_id="C9999999")
    planned[4].update(status="sent", gesture_id="abc")
    planned[5].update(status="sent", gesture_id="987654")
    bad_at = planned[6]
    bad_at.update(status="sent", at="tomorrow-ish")
    held["status"] = "sent"
    header.append("at")
    result = seeded("log", "import", str(save(tmp_path / "bad.csv", header, rows)))
    assert result.exit_code == 1
    owner = planned[3]
    _, again = exported(seeded, tmp_path)
    expected = sorted(
        [
            f'line {line_of[id(planned[1])]}: gesture {planned[1]["gesture_id"]}: status is "done": '
            "write sent, skipped or failed (or leave it planned)",
            f"line {line_of[id(planned[2])]}: gesture {planned[2]['gesture_id']}: status is empty: "
            "write sent, skipped or failed (or leave it planned)",
            f'line {line_of[id(planned[4])]}: gesture_id "abc" is not a number',
            f'line {line_of[id(bad_at)]}: gesture {bad_at["gesture_id"]}: at "tomorrow-ish" is not a date and time '
            "like 2026-12-01T15:30 (or 2026-12-01T15:30+09:00)",
            f"line {line_of[id(owner)]}: gesture {owner['gesture_id']} belongs to customer "
            f"{next(r for r in again if r['gesture_id'] == owner['gesture_id'])['customer_id']}, "
            'not "C9999999": was the file re-sorted?',
            f"line {line_of[id(planned[5])]}: gesture 987654 does not exist (see `delight list` for ids)",
            f"line {line_of[id(held)]}: gesture {held['gesture_id']} is held out (control group): "
            "it is never sent, so there is nothing to log",
        ]
    )
    *problems, error = result.stderr.splitlines()
    assert sorted(problems) == expected
    assert error == "Error: bad.csv: 7 bad rows, so nothing was logged: fix them and import the file again"
    assert statuses(store) == before


def test_a_file_without_a_status_column(seeded: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("gesture_id\n1\n", encoding="utf-8")
    result = seeded("log", "import", str(path))
    assert result.exit_code == 1
    assert result.output == (
        'Error: ids.csv: no "status" column: export the week with `delight list --format csv`, '
        "fill in the status column, and import that file\n"
    )
