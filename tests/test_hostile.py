"""Every command, with hostile arguments and hostile files: a result or one clear line, never a traceback.

The commands are read from the click group, so a command added later is covered the day it is
added: each parameter gets values from its click type and name — whole numbers past 64 bits,
dates in year 1 and 9999 with offsets, amounts of 10^400, empty and 5,000-character text, control
and bidi characters, paths at devices, folders, the database itself, and files that are empty,
binary, UTF-16, full of NUL bytes, nested a thousand deep or full of values at the edges. A
hostile `delight-rules.toml`, templates folder and tone lexicon in the folder and a hostile --db
join in. Each run starts from a
copy of a small planned shop, in a folder of its own.

A run fails the test when the command raised anything but delight's own error (click's usage
errors and a clean exit included), or printed a traceback. Examples per command are kept few
so the whole module stays well under a minute (``DELIGHT_HOSTILE_EXAMPLES`` asks for more);
hypothesis shrinks whatever it finds.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import cli

# A handful per command in CI; DELIGHT_HOSTILE_EXAMPLES=200 for a long hunt.
EXAMPLES = int(os.environ.get("DELIGHT_HOSTILE_EXAMPLES", "6"))
HUGE = "99999999999999999999"


def leaf_commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command of the CLI, by its words (``("log", "sent")``), groups walked recursively."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(leaf_commands())

TEXT = [
    "", " ", "\t\n", "a" * 5000, "-", "한글 이름", "😀", "\u202eevil", "=1+1", "@SUM(A1)",
    "'; DROP TABLE customers; --", "{first_name}", "%s%n", "../../../etc/passwd", HUGE, f"-{HUGE}", "1e400",
    "nan", "0", "-1", "1", "12", "2026-W49", "2026W49", "9999-W52", "0001-W01", "2026-W53", "2026-13-45",
    "0001-01-01", "9999-12-31", "2026-11-30", "0001-01-01T00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2026-12-01T10:00", "C0000001", "c0000001", "Minji", "민지", "F1", "review", "complaint",
    "orders_count=total", "주문번호=order_id", "=", "x=",
]  # fmt: skip
NUMBERS = ["1e400", "nan", "inf", "-inf", "0.15", "-0.5", "x", "", HUGE]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small planned shop, with a few gestures logged: what each run starts from."""
    database = tmp_path_factory.mktemp("template") / "delight.db"
    runner = CliRunner(env={"DELIGHT_USER": "ops"})
    for args in (
        ["init"],
        ["seed", "--customers", "40", "--today", "2026-11-30", "--plant-effect", "0.1"],
        ["plan", "--week", "2026-W49", "--seed", "1"],
    ):
        result = runner.invoke(cli, ["--db", str(database), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    listed = runner.invoke(
        cli, ["--db", str(database), "list", "--week", "2026-W49", "--status", "planned", "--format", "csv"]
    )
    planned = [line.split(",")[0].lstrip("\ufeff") for line in listed.output.splitlines()[1:3]]
    assert runner.invoke(cli, ["--db", str(database), "log", "sent", *planned]).exit_code == 0
    return database


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files no one should hand delight, and some anyone might."""
    folder = tmp_path_factory.mktemp("hostile")
    orders_header = "order_id,customer_id,placed_at,total,item_name,quantity,unit_price,currency,status\n"
    contents: dict[str, bytes] = {
        "empty.csv": b"",
        "binary.csv": bytes(range(256)) * 16,
        "utf16.csv": "order_id,customer_id,placed_at,total\nA1,C1,2026-11-01,100\n".encode("utf-16"),
        "nul.csv": b"order_id,customer_id,placed_at,total\nA1\x00,C1,2026-11-01,100\n",
        "header-only.csv": orders_header.encode(),
        "orders.csv": (
            orders_header
            + "A1,C0000001,2026-11-01,12000,머그컵,1,12000,KRW,paid\n"
            + f"A2,C0000002,0001-01-01T00:00+14:00,{HUGE}{HUGE},=cmd|' /C calc'!A0,{HUGE},1e400,USD,paid\n"
            + "A3,C0000003,9999-12-31T23:59-14:00,$84.00,😀\u202e,1e999999,sNaN,XXX,refunded\n"
            + "A4,,2026-11-01,-5,,0,,,weird\n"
            + ',"unterminated\n'
            + "A5,C0000004,20261301,1.234,50 €,tea,inf,12,,\n"
        ).encode(),
        "customers.csv": (
            "customer_id,name,email,birthday,language,do_not_contact,address1,postal_code\n"
            "C0000001,Alice,ALICE@EXAMPLE.COM,0001-01-01,en,maybe,,\n"
            f"N1,{'가' * 3000},x@y,9999-12-31,fr,yes,{'a' * 5000},{HUGE}\n"
            'N2,=HYPERLINK("x"),,2026-02-30,,,,\n'
            ",,,,,,,\n"
        ).encode(),
        "feedback.csv": (
            "feedback_id,customer_id,kind,rating,text,received_at,order_id\n"
            f"F1,C0000001,complaint,{HUGE},hi,2026-11-01,\n"
            "F2,C0000002,praise,0,=1+1,0001-01-01,A1\n"
            "F3,NOBODY,review,5,ok,9999-12-31T23:59:59-14:00,\n"
            "F4,C0000003,review,3,\x1b[31mred,2026-11-01,NOPE\n"
        ).encode(),
        "week.csv": (
            "gesture_id,status,by,at,note\n"
            f"{HUGE},sent,,,\n"
            "1,sent,,0001-01-01T00:00+14:00,\n"
            "2,weird,ops,,\n"
            "3,failed,   ,9999-12-31,=1+1\n"
            "-4,skipped,ops,,\n"
        ).encode(),
        "deep.toml": ("a = " + "[" * 3000 + "]" * 3000 + "\n").encode(),
        "deep-inline.toml": ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n").encode(),
        "rules.toml": (
            'currency = "KRW"\nweekly_budget = "' + "9" * 30 + '"\ncooldown_days = ' + HUGE + "\n"
            "[gestures.cheer_message]\ncost = 0\ncapacity = 5\n"
            '[[rules]]\nname = "x"\ngesture = "cheer_message"\nwhen = "orders_count > 1e9999999"\n'
        ).encode(),
        "slow-rules.toml": (
            'currency = "KRW"\nweekly_budget = 1000\n[gestures.cheer_message]\ncost = 0\ncapacity = 5\n'
            '[[rules]]\nname = "x"\ngesture = "cheer_message"\nwhen = "rfm_segment =~ \\"(.*.*)*x\\""\n'
            '[[rules]]\nname = "y"\ngesture = "cheer_message"\nwhen = "'
            + "(" * 200
            + "orders_count > 1"
            + ")" * 200
            + '"\n'
        ).encode(),
        "korean-writers.toml": (
            'currency = "KRW"\nweekly_budget = 1000\n[gestures.cheer_message]\ncost = 0\ncapacity = 5\n'
            "[writers.민지]\ncapacity = 3\n"
        ).encode(),
        "usd-rules.toml": (
            b'currency = "USD"\nweekly_budget = "100.50"\n[gestures.cheer_message]\ncost = "0.99"\ncapacity = 5\n'
        ),
        "mapping.toml": b'currency = "XYZ"\ntimezone = "Mars/Olympus"\ndate_format = "%Q"\n[columns]\n"a" = "nope"\n',
        "font.ttf": b"\x00\x01\x00\x00" + bytes(range(256)) * 4,
        "reply.txt": "고객님의 문의는 접수되었습니다\n".encode() + bytes([0xFF, 0xFE]),
    }
    files = {}
    for name, data in contents.items():
        path = folder / name
        path.write_bytes(data)
        files[name] = path
    (folder / "a-folder").mkdir()
    (folder / "a-folder" / "broken.toml").write_bytes(contents["deep.toml"])
    files["a-folder"] = folder / "a-folder"
    return files


def paths(hostile_files: dict[str, Path]) -> st.SearchStrategy[str]:
    special = ["delight.db", "delight.db-wal", "missing.csv", "out.pdf", "new-folder", "/dev/null", "/dev/full"]
    special.append("x" * 5000)
    return st.sampled_from([*special, *(str(path) for path in hostile_files.values())])


def values(param: click.Parameter, hostile_files: dict[str, Path]) -> st.SearchStrategy[str]:
    """Hostile (and a few ordinary) values for one parameter, from its click type."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return st.sampled_from([*map(str, kind.choices), "", "NOPE"])
    if isinstance(kind, click.IntRange):
        low = kind.min if kind.min is not None else 0
        high = kind.max if kind.max is not None else 2**63
        # Only the smallest valid values: a valid million customers would be a workload, not a test.
        return st.sampled_from([str(low), str(low + 1), str(low - 1), str(high + 1), HUGE, f"-{HUGE}", "1e3", "x", ""])
    if isinstance(kind, click.types.IntParamType):
        return st.sampled_from(["0", "1", "-1", HUGE, f"-{HUGE}", "x", ""])
    if isinstance(kind, click.types.FloatParamType):
        return st.sampled_from(NUMBERS)
    if isinstance(kind, click.Path):
        return paths(hostile_files)
    return st.sampled_from(TEXT)


@st.composite
def arguments(draw: st.DrawFn, command: click.Command, hostile_files: dict[str, Path]) -> list[str]:
    """A command line for ``command``: each parameter left out, or given a drawn value."""
    words: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument):
            count = 1 if param.nargs == 1 else draw(st.integers(1, 3))
            if param.required or draw(st.booleans()):
                words += ["--"] if draw(st.integers(0, 9)) == 0 else []
                words += [draw(values(param, hostile_files)) for _ in range(count)]
            continue
        assert isinstance(param, click.Option)
        big_default = isinstance(param.default, int) and not isinstance(param.default, bool) and param.default > 100
        if not (param.required or big_default or draw(st.booleans())):
            continue
        if param.is_flag:
            words.append(param.opts[0])
        else:
            words += [param.opts[-1], draw(values(param, hostile_files))]
    return words


@pytest.mark.parametrize("words", list(COMMANDS), ids=" ".join)
def test_every_command_answers_hostile_input_cleanly(
    words: tuple[str, ...], template: Path, hostile_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    command = COMMANDS[words]
    workspace = tmp_path_factory.mktemp("-".join(words))

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
    @given(
        args=arguments(command, hostile_files),
        database=st.sampled_from(["delight.db"] * 6 + ["missing.db", str(hostile_files["orders.csv"]), "/dev/null"]),
        local_rules=st.sampled_from([None, None, "rules.toml", "slow-rules.toml", "korean-writers.toml", "deep.toml"]),
        local_words=st.sampled_from([None, None, "delight-templates/ours.toml", "delight-lexicon.toml"]),
        user=st.sampled_from(["ops", "", None]),
    )
    def run(args: list[str], database: str, local_rules: str | None, local_words: str | None, user: str | None) -> None:
        folder = workspace / f"run-{len(os.listdir(workspace))}"
        folder.mkdir()
        shutil.copy(template, folder / "delight.db")
        if local_rules is not None:
            shutil.copy(hostile_files[local_rules], folder / "delight-rules.toml")
        if local_words is not None:  # the team's own templates or tone lexicon, nested a thousand deep
            (folder / local_words).parent.mkdir(exist_ok=True)
            shutil.copy(hostile_files["deep-inline.toml"], folder / local_words)
        line = ["--db", database, *words, *args]
        unset = ("DELIGHT_RULES", "DELIGHT_DB", "DELIGHT_TEMPLATES", "DELIGHT_LEXICON")
        runner = CliRunner(env={"DELIGHT_USER": user, **dict.fromkeys(unset)})
        cwd = Path.cwd()
        os.chdir(folder)
        try:
            with pytest.MonkeyPatch.context() as patch:
                # `delight serve` checks everything it is given, then would answer requests until stopped:
                # here it stops where it would start listening.
                patch.setattr("uvicorn.run", lambda *_args, **_kwargs: None)
                result = runner.invoke(cli, line)
        finally:
            os.chdir(cwd)
        shown = f"delight {' '.join(repr(word) if ' ' in word or not word else word for word in line)}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{shown} raised {result.exception!r}") from result.exception
        assert result.exit_code in (0, 1, 2), (shown, result.output)
        assert "Traceback" not in result.output, (shown, result.output)

    run()
