"""`delight demo`: the first thing a new user runs."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from db.engine import database_url, make_engine
from planner.cli import cli
from planner.services import accounts


def demo(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["demo", "--customers", "400", *args])
    return result.exit_code, result.output


def test_demo_makes_a_planned_week_and_its_printouts(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    code, output = demo("--dir", str(folder))
    assert code == 0, output
    assert output.startswith(f"Demo shop ready in {folder}/")
    assert "planned " in output
    held_out = re.search(r"; ([\d,]+) held out as the control group", output)
    assert held_out is not None and int(held_out.group(1).replace(",", "")) > 0
    assert "A few of this week's gestures:" in output
    week = output.split("gestures for ")[1].split(":")[0]
    assert sorted(path.name for path in folder.glob("*.pdf")) == [
        f"briefs-{week}.pdf",
        f"cards-{week}.pdf",
        f"envelopes-{week}.pdf",
        f"labels-{week}-packing-list.pdf",
        f"labels-{week}.pdf",
    ]
    cards = PdfReader(folder / f"cards-{week}.pdf")
    assert len(cards.pages) >= 1
    assert "Maru Goods" in cards.pages[0].extract_text()  # the demo shop's name from its rules file
    rules = (folder / "delight-rules.toml").read_text(encoding="utf-8")
    assert rules.count('shop_name = "') == 1 and '\n[return_address]\nname = "마루 잡화점"' in rules
    envelope = PdfReader(folder / f"envelopes-{week}.pdf").pages[0].extract_text()
    assert envelope.startswith("04782\n서울특별시 성동구\n성수이로 7길 12, 2층\n마루 잡화점\n")  # the return address
    assert (folder / "delight.db").stat().st_size > 0
    desk = re.search(
        rf"  cd {folder} && delight serve\n  then open http://127.0.0.1:8000/ and sign in as demo, password (\S+)\n$",
        output,
    )
    assert desk is not None, output  # the demo ends with the command that opens it in the desk
    engine = make_engine(database_url(str(folder / "delight.db")))
    assert accounts.sign_in(engine, "demo", desk.group(1)).is_manager
    engine.dispose()


def test_demo_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    assert demo("--dir", str(folder))[0] == 0
    code, output = demo("--dir", str(folder))
    assert code == 1
    assert output == f"Error: {folder} already exists: use --force to replace it, or --dir NEW\n"
    assert demo("--dir", str(folder), "--force")[0] == 0


def test_demo_never_replaces_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "taxes.xlsx").write_text("precious")
    code, output = demo("--dir", str(folder), "--force")
    assert code == 1
    assert output == (
        f"Error: {folder} is not a delight demo folder: refusing to replace it "
        "(--force replaces only a folder `delight demo` made; choose a new --dir)\n"
    )
    assert (folder / "taxes.xlsx").read_text() == "precious"


def test_force_never_replaces_a_real_shop(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`cd shop && delight demo --dir . --force` once deleted the shop's database, its files and templates."""
    shop = tmp_path / "shop"
    runner = CliRunner()
    shop.mkdir()
    assert runner.invoke(cli, ["--db", str(shop / "delight.db"), "init"]).exit_code == 0
    seeded = runner.invoke(cli, ["--db", str(shop / "delight.db"), "seed", "--customers", "30"])
    assert seeded.exit_code == 0
    (shop / "orders-2026.csv").write_text("order_id,total\n1,100\n")
    (shop / "delight-templates").mkdir()
    (shop / "delight-templates" / "ours.toml").write_text("# our words\n")
    before = {path: path.read_bytes() for path in shop.rglob("*") if path.is_file()}
    monkeypatch.chdir(shop)
    for folder in (".", str(shop)):
        code, output = demo("--dir", folder, "--force")
        assert code == 1
        assert "is not a delight demo folder: refusing to replace it" in output
    assert {path: path.read_bytes() for path in shop.rglob("*") if path.is_file()} == before


def test_force_replaces_only_what_the_demo_wrote(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert demo("--dir", str(folder))[0] == 0
    written = sorted(path.name for path in folder.iterdir())
    (folder / "my-notes.txt").write_text("mine")
    (folder / "orders.csv").write_text("order_id\n1\n")
    code, output = demo("--dir", str(folder), "--force", "--seed", "2")
    assert code == 0, output
    assert (folder / "my-notes.txt").read_text() == "mine"
    assert (folder / "orders.csv").read_text() == "order_id\n1\n"
    assert sorted(path.name for path in folder.iterdir()) == sorted([*written, "my-notes.txt", "orders.csv"])
    mark = (folder / ".delight-demo").read_text(encoding="utf-8")
    assert "my-notes.txt" not in mark and "delight.db" in mark and "delight-rules.toml" in mark


def test_demo_folder_that_is_not_a_folder(tmp_path: Path) -> None:
    code, output = demo("--dir", "/dev/full")
    assert (code, output) == (1, "Error: /dev/full is not a folder: choose another --dir\n")
    code, output = demo("--dir", str(tmp_path / ("x" * 5000)))
    assert code == 1
    assert output.startswith("Error: cannot make the demo in ") and output.endswith(": File name too long\n")


def test_a_tiny_demo_without_gifts_still_works(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--customers", "3", "--dir", str(tmp_path / "tiny")])
    assert result.exit_code == 0, result.output
    assert "Demo shop ready" in result.output


def test_a_full_size_demo_plans_behind_its_own_seed(tmp_path: Path) -> None:
    """The facts' reader once opened SQLite read-only and, behind the WAL the 2,000-customer seed
    left in the same process, got "locking protocol" instead of the week."""
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "locking protocol" not in result.output
