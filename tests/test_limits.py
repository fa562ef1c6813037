"""Values at and past the edges: one clear line, never a traceback, and nothing changed.

Integers past 64 bits, dates in year 1 and 9999 with any offset, amounts of 10^400, settings
nested a thousand deep, who acted left empty, and a --db that is not a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.cli import cli

HUGE = "99999999999999999999"
RANGE = "delight takes dates from 1900-01-01 to 2999-12-31"


def last_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output.splitlines()[-1]


IDS = "is not in the range 1<=x<=2147483647."
INVALID = "Error: Invalid value for"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("log", "sent", HUGE), 2, f"{INVALID} 'GESTURE_ID...': {HUGE} {IDS}"),
        (("log", "undo", "0"), 2, f"{INVALID} 'GESTURE_ID...': 0 {IDS}"),
        (("log", "history", "2147483648"), 2, f"{INVALID} 'GESTURE_ID': 2147483648 {IDS}"),
        (("plan", "--seed", HUGE), 2, f"{INVALID} '--seed': {HUGE} is not in the range 0<=x<=9223372036854775807."),
        (
            ("plan", "--budget", "1e400"),
            2,
            f"{INVALID} '--budget': 1e400 is out of range: amounts go up to 1,000,000,000,000",
        ),
        (("seed", "--customers", HUGE), 2, f"{INVALID} '--customers': {HUGE} is not in the range 1<=x<=1000000."),
        (
            ("feedback", "reply", HUGE, "--text", "hi"),
            1,
            f'Error: no feedback "{HUGE}": use the id shown by `delight feedback list`',
        ),
    ],
)
def test_integers_past_64_bits(
    initialised: Callable[..., Result], args: tuple[str, ...], code: int, message: str
) -> None:
    result = initialised(*args)
    assert result.exit_code == code
    assert last_line(result) == message


def test_a_huge_limit_means_all(initialised: Callable[..., Result]) -> None:
    result = initialised("feedback", "list", "--limit", HUGE)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--week", "9999-W52"),
        ("plan", "--week", "0001-W01"),
        ("list", "--week", "9999-W52"),
        ("week", "--week", "0001-W01"),
        ("print", "cards", "--week", "9999-W52"),
        ("explain", "C0000001", "--week", "0001-W01"),
        ("plan", "--as-of", "0001-01-01"),
        ("facts", "--as-of", "9999-12-31"),
        ("report", "--since", "0001-01-01"),
        ("report", "--until", "9999-12-31"),
        ("seed", "--today", "0001-01-01"),
        ("seed", "--today", "9999-12-31"),
        ("log", "sent", "1", "--at", "0001-01-01T00:00+14:00"),
        ("log", "sent", "1", "--at", "9999-12-31T23:59:59-14:00"),
        ("log", "failed", "1", "--at", "0001-01-01T00:00"),
    ],
)
def test_dates_at_the_edges_of_the_calendar_name_the_range(
    initialised: Callable[..., Result], args: tuple[str, ...]
) -> None:
    result = initialised(*args)
    assert result.exit_code in (1, 2)
    assert last_line(result).endswith(f"is out of range: {RANGE}")


def test_the_first_and_last_weeks_a_shop_can_have_are_planned(initialised: Callable[..., Result]) -> None:
    assert initialised("seed", "--customers", "30", "--today", "2999-12-31").exit_code == 0
    for args in (
        ("plan", "--week", "2999-W52", "--seed", "1"),
        ("plan", "--week", "1900-W01", "--seed", "1"),
        ("facts", "--as-of", "1900-01-01"),
        ("report", "--since", "1900-01-01", "--until", "2999-12-31"),
        ("week", "--week", "2999-W52"),
    ):
        result = initialised(*args)
        assert result.exit_code == 0, (args, result.output)


def test_edges_inside_imported_files_are_bad_rows(initialised: Callable[..., Result], tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,placed_at,total,item_name,quantity,unit_price\n"
        "A1,C1,2026-11-01,12000,tea,1,12000\n"
        "A2,C1,0001-01-01T00:00+14:00,12000,tea,1,12000\n"
        "A3,C1,9999-12-31T23:59-14:00,12000,tea,1,12000\n"
        f"A4,C1,2026-11-01,{HUGE}{HUGE},tea,1,12000\n"
        "A5,C1,2026-11-01,1e400,tea,1,12000\n"
        "A6,C1,2026-11-01,12000,tea,1e999999,12000\n"
        "A7,C1,2026-11-01,12000,tea,inf,12000\n"
        "A8,C1,2026-11-01,12000,tea,sNaN,12000\n",
        encoding="utf-8",
    )
    result = initialised("import", "orders", str(orders))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == [
        'line 3: placed_at: date "0001-01-01T00:00+14:00" is out of range: ' + RANGE,
        'line 4: placed_at: date "9999-12-31T23:59-14:00" is out of range: ' + RANGE,
        f'line 5: total: amount "{HUGE}{HUGE}" is out of range: amounts go up to 1,000,000,000,000',
        'line 6: total: unparseable amount "1e400"',
        'line 7: quantity: "1e999999" is out of range: at most 1,000,000',
        'line 8: quantity: "inf" is not a number',
        'line 9: quantity: "sNaN" is not a number',
    ]
    assert lines[-1].startswith("Error: orders.csv: 7 bad rows, so nothing was imported")


def test_a_budget_of_thirty_digits_in_a_rules_file(initialised: Callable[..., Result], tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'currency = "KRW"\nweekly_budget = "' + "9" * 30 + '"\n[gestures.cheer_message]\ncost = 0\ncapacity = 5\n',
        encoding="utf-8",
    )
    result = initialised("plan", "--rules", str(rules))
    assert result.exit_code == 1
    assert result.output == f"Error: weekly_budget must be at most 1,000,000,000,000 (got {'9' * 30})\n"
    rules.write_text(
        rules.read_text().replace('"' + "9" * 30 + '"', "1").replace("capacity = 5", "capacity = " + "9" * 50)
    )
    result = initialised("plan", "--rules", str(rules))
    assert result.output == (
        'Error: gesture "cheer_message": capacity must be at most 1,000,000 '
        "(got 99999999999999999999…(50 characters))\n"
    )


DEEP = "lists or tables nested too deeply; a settings file needs a few levels"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = " + "[" * 2000 + "]" * 2000, DEEP),
        ("a = " + "{b = " * 2000 + "1" + "}" * 2000, DEEP),
        (
            'currency = "KRW"\nweekly_budget = 1\ncooldown_days = ' + "9" * 25,
            "cooldown_days must be at most 36,500 (got 9999999999999999999999999)",
        ),
        ('currency = "KRW"\nweekly_budget = inf', "weekly_budget = inf is not an amount; write digits like 1500"),
    ],
)
def test_settings_files_nested_too_deep_or_too_big(tmp_path: Path, text: str, message: str) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "check", str(rules)])
    assert result.exit_code == 1
    assert result.output in (f"Error: {rules}: {message}\n", f"Error: {message}\n")
    mapping = tmp_path / "shop.toml"
    mapping.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "x.db"), "import", "orders", str(rules), "--mapping", str(mapping)]
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1


@pytest.mark.parametrize("command", [("customer", "forget"), ("customer", "optout")])
def test_who_acted_is_never_empty(
    planned_store: Callable[..., Result], command: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = planned_store("list", "--week", "2026-W49", "--format", "csv").output.splitlines()[1].split(",")[1]
    for by in ("", "   "):
        result = planned_store(*command, customer, "--by", by)
        assert (result.exit_code, result.output) == (1, "Error: --by: say who did it, e.g. --by 지민\n")
    for unset in (monkeypatch.delenv, lambda name: monkeypatch.setenv(name, "")):
        unset("DELIGHT_USER")
        result = planned_store(*command, customer)
        assert result.exit_code == 2
        assert last_line(result) == "Error: say who did it: --by NAME, or set DELIGHT_USER"
    assert "do-not-contact" not in planned_store("explain", customer, "--week", "2026-W49").output


def test_a_db_that_is_not_a_database_is_never_written(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,total\n1,100\n" * 200, encoding="utf-8")
    empty = tmp_path / "notes.txt"
    empty.write_bytes(b"")
    before = hashlib.sha256(orders.read_bytes()).hexdigest()
    for args in (["--db", str(orders), "init"], ["--db", str(orders), "list"], ["--db", str(empty), "list"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1
        assert result.output.startswith("Error: sqlite:///") and result.output.count("\n") == 1
    assert hashlib.sha256(orders.read_bytes()).hexdigest() == before
    assert empty.read_bytes() == b""
    for target in (tmp_path, Path("/dev/null")):
        result = CliRunner().invoke(cli, ["--db", str(target), "list"])
        assert result.output == f"Error: sqlite:///{target} is not a file: give --db the path of a database file\n"
    long = str(tmp_path / ("x" * 5000))
    for command in ("init", "list"):
        result = CliRunner().invoke(cli, ["--db", long, command])
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot read sqlite:///") and result.output.endswith(
            ": File name too long\n"
        )


def test_a_damaged_font_is_one_line(planned_store: Callable[..., Result], tmp_path: Path) -> None:
    font = tmp_path / "brand.ttf"
    font.write_bytes(b"\x00\x01\x00\x00" + bytes(range(256)) * 4)  # TrueType's first bytes, then nonsense
    result = planned_store("print", "labels", "--week", "2026-W49", "--font", str(font), "-o", str(tmp_path / "l.pdf"))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: font {font} is damaged or not a font: use a TrueType (.ttf) font file\n",
    )
