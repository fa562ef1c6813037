"""What the same walk asked for: several ids at once, the overdue inbox, customers found by name
or email, and writers with Korean names."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result
from test_feedback import add_shop

from planner.core.errors import RulesError
from planner.core.rules import parse_rules

WEEK = "2026-W49"


def planned_ids(run: Callable[..., Result], count: int) -> list[str]:
    listed = json.loads(run("list", "--week", WEEK, "--status", "planned", "--format", "json").output)
    return [str(item["gesture_id"]) for item in listed[:count]]


def test_undo_several_gestures_at_once_all_or_none(planned_store: Callable[..., Result]) -> None:
    first, second, third = planned_ids(planned_store, 3)
    assert planned_store("log", "sent", first, second, "--by", "지민").exit_code == 0
    refused = planned_store("log", "undo", first, second, third, "99999", "--by", "지민")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"gesture {third} is planned, not logged: there is nothing to undo\n"
        "no gesture 99999 (see `delight list` for ids)\n"
        "Error: nothing was undone: 2 of 4 gestures cannot be undone (listed above)\n"
    )
    statuses = {item["gesture_id"]: item["status"] for item in json.loads(
        planned_store("list", "--week", WEEK, "--format", "json").output
    )}  # fmt: skip
    assert (statuses[int(first)], statuses[int(second)]) == ("sent", "sent")
    undone = planned_store("log", "undo", first, second, first, "--by", "지민")
    assert undone.exit_code == 0
    assert undone.output == (
        f"Gesture {first}: no longer sent; back to planned.\nGesture {second}: no longer sent; back to planned.\n"
    )


def test_resolve_several_at_once_all_or_none(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)
    refused = initialised("feedback", "resolve", "F1", "F4", "NOPE", "--by", "Jun")
    assert refused.exit_code == 1
    assert refused.stderr == (
        'no feedback "NOPE": use the id shown by `delight feedback list`\n'
        "Error: nothing was resolved: 1 of 3 pieces of feedback cannot be resolved (listed above)\n"
    )
    assert "resolved" not in initialised("feedback", "list", "--format", "csv").output.split("\n", 1)[1]
    resolved = initialised("feedback", "resolve", "F1", "F4", "--by", "Jun")
    assert resolved.exit_code == 0, resolved.output
    assert [line.split(" (")[0] for line in resolved.output.splitlines()] == [
        "Resolved feedback 1",
        "Resolved feedback 4",
    ]
    again = initialised("feedback", "resolve", "F1", "--by", "Jun")
    assert again.output.startswith("Error: feedback 1 was already resolved by Jun on ")


def test_the_overdue_inbox(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)
    overdue = json.loads(initialised("feedback", "list", "--overdue", "--format", "json").output)
    assert [(item["reference"], item["status"]) for item in overdue] == [("F1", "overdue")]
    every = json.loads(initialised("feedback", "list", "--format", "json").output)
    assert [item["reference"] for item in every if item["overdue"]] == ["F1"]


def test_customers_are_found_by_id_email_or_name_in_any_case(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)
    for reference in ("C2", "c2", "SAM LEE", " sam lee ", "Sam Lee"):
        result = initialised("explain", reference)
        assert result.exit_code == 0, (reference, result.output)
        assert "C2" in result.output.splitlines()[0]
    assert initialised("explain", "김민지").exit_code == 0
    assert initialised("customer", "optout", "박서연", "--by", "ops").output.startswith("C3 opted out")


def test_several_matches_are_listed_not_guessed(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE customers SET name = 'Sam Lee', email = 'sam@example.com' WHERE external_id = 'C3'")
        )
    engine.dispose()
    result = initialised("customer", "forget", "sam lee", "--by", "ops")
    assert (result.exit_code, result.output) == (
        1,
        'Error: "sam lee" is more than one customer: C2 (Sam Lee); C3 (Sam Lee, sam@example.com): give the id\n',
    )
    assert initialised("explain", "SAM@example.com").exit_code == 0


RULES = 'currency = "KRW"\nweekly_budget = 1000\n[gestures.cheer_message]\ncost = 0\ncapacity = 5\n'


def test_writers_with_korean_names() -> None:
    listed = parse_rules(
        RULES + '[[writers]]\nname = "민지"\ncapacity = 3\n[[writers]]\nname = "Kim Tom"\ncapacity = 2\n'
    )
    assert [(writer.name, writer.capacity) for writer in listed.writers] == [("민지", 3), ("Kim Tom", 2)]
    quoted = parse_rules(RULES + '[writers."민지"]\ncapacity = 3\n')
    assert [writer.name for writer in quoted.writers] == ["민지"]
    with pytest.raises(RulesError) as bare:
        parse_rules(RULES + "[writers.민지]\ncapacity = 3\n", source="rules.toml")
    assert str(bare.value) == (
        "rules.toml: TOML syntax error: Invalid initial character for a key part (at line 6, column 10); "
        'a name other than plain letters, digits, - and _ needs quotes: [writers."민지"]'
    )
    with pytest.raises(RulesError, match=r'^writer #1: needs a name, e.g. \[\[writers\]\] name = "민지"$'):
        parse_rules(RULES + "[[writers]]\ncapacity = 3\n")
    with pytest.raises(RulesError, match=r'^writer "민지" is defined twice; give each writer once$'):
        parse_rules(RULES + '[[writers]]\nname = "민지"\ncapacity = 3\n[[writers]]\nname = "민지"\ncapacity = 1\n')
