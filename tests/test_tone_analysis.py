"""The tone check's analysers: shapes of stiff and selling wording, remembered analyses, linear-time patterns.

Kiwi costs about a second and 260 MB to load, so this module loads it once (``korean``) and every
Korean check in the test session shares it (``planner.words.tone_korean.analyser`` is one per process).
Checks that must show a command does *not* load it run delight in a new process.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from planner.cli import cli
from planner.core.errors import LexiconError
from planner.words.tone import BLOCKING, WARNING, check_text, load_lexicon
from planner.words.tone_korean import analyser
from planner.words.tone_memory import SHIPPED, write_shipped

CORPUS = Path(__file__).parent / "data" / "tone"
WEEK = "2026-W49"
LEXICON = load_lexicon()
STIFF_TEAM_TEMPLATE = """
[[template]]
id = "ours-ko-stiff"
kind = "handwritten_note"
language = "ko"
text = "{first_name}님의 문의는 담당 부서로 이관되었으며 처리 결과는 추후 안내될 예정입니다."
"""
WARM_TEAM_TEMPLATE = """
[[template]]
id = "ours-ko-warm"
kind = "handwritten_note"
language = "ko"
text = "{first_name}님, 지난번 {last_item} 잘 쓰고 계신가요? 문득 생각나서 몇 자 적어요."
"""


@pytest.fixture(scope="module", autouse=True)
def korean() -> None:
    """Kiwi, loaded once for the module (and shared with the rest of the session)."""
    analyser().tokenize("")


def tone(*args: str) -> Result:
    return CliRunner().invoke(cli, ["tone", "check", *args])


def flags_of(text: str, language: str | None = None) -> dict[str, str]:
    """rule id -> severity of each flag, without the no-personal-detail warning."""
    return {flag.rule_id: flag.severity for flag in check_text(text, LEXICON, language=language, expect_personal=False)}


@pytest.mark.parametrize(
    ("text", "rule", "why"),
    [
        # Administrative register: Sino-Korean nouns made passive, in the 하십시오체.
        ("회원님의 반품 요청은 정상 접수되어 담당 부서로 이관되었습니다.", "ko-stiff", "수동형 ('접수되', '이관되')"),
        # Directing the customer elsewhere, with an imperative 바랍니다.
        ("배송 문의는 택배사 고객센터로 연락하시기 바랍니다.", "ko-stiff", "다른 곳으로 떠넘기기"),
        # A promise that promises nothing.
        ("소중한 의견은 서비스 개선에 적극 반영하겠습니다.", "ko-stiff", "아무것도 약속하지 않는 다짐"),
        # An advert no lexicon phrase names: scarcity, a giveaway, hurry.
        ("선착순 50분께 사은품 증정, 품절 전에 서두르세요!", "ko-advert", "서두르게 하는 말"),
        ("Your complaint has been escalated to the relevant department for review.", "en-stiff", "passive voice"),
        ("Per our policy, refunds are processed within 10 business days.", "en-stiff", "ticket and policy vocabulary"),
        ("Only 2 left — grab yours today and save 20%!", "en-advert", "urgency and scarcity ('Only 2 left')"),
    ],
)
def test_stiff_and_selling_shapes_no_lexicon_names_are_blocked_with_why_and_warmer_words(
    text: str, rule: str, why: str
) -> None:
    assert flags_of(text)[rule] == BLOCKING
    result = tone(text)
    assert result.exit_code == 1
    assert f"BLOCKING [{rule}] line 1:" in result.output and why in result.output
    assert "try: " in result.output.split(f"[{rule}]")[1]


@pytest.mark.parametrize(
    "text",
    [
        "택배가 늦어져서 정말 죄송해요. 제가 기사님께 직접 여쭤보고 내일 아침에 다시 연락드릴게요.",
        "환불은 오늘 넣어 드렸어요. 며칠 안에 안 들어오면 편하게 말씀해 주세요.",
        "보내주신 편지 잘 받았습니다. 덕분에 저희 모두 힘이 났습니다.",  # polite 습니다, still a person
        "I'm so sorry the courier left it in the rain — I've sent a dry one today, and your refund is on its way.",
        "Thank you for your patience with us this week; I know it wasn't the easiest order.",
    ],
)
def test_warm_text_that_apologises_or_mentions_a_courier_or_refund_stays_clean(text: str) -> None:
    assert flags_of(text) == {}


def test_a_sentence_with_a_high_score_but_below_blocking_only_warns() -> None:
    flags = flags_of("We are sorry for any inconvenience this delay may have caused.")
    assert flags == {"en-stiff": WARNING}


def test_each_sentence_is_scored_on_its_own_line() -> None:
    result = tone("{first_name}님, 잘 지내셨어요?\n문의하신 내용은 담당 부서로 이관되었습니다.")
    assert result.exit_code == 1
    assert "BLOCKING [ko-stiff] line 2:" in result.output and "line 1:" not in result.output


def test_placeholders_read_as_a_name_so_a_template_is_judged_like_a_message() -> None:
    assert (
        flags_of("{first_name}님, 주문하신 {last_item} 잘 받으셨나요? 포장하면서 {first_name}님 생각을 했어요.") == {}
    )


def test_a_team_can_make_a_scorer_only_warn_or_switch_it_off(tmp_path: Path) -> None:
    stiff = "문의하신 내용은 담당 부서로 이관되었습니다."
    warning = tmp_path / "warn.toml"
    warning.write_text('[[rule]]\nid = "ko-stiff"\nlanguage = "ko"\nscorer = "stiff"\nseverity = "warning"\n'
                       'why = "Stiff."\nsuggestion = "Say it warmly."\n', encoding="utf-8")  # fmt: skip
    result = tone("--lexicon", str(warning), stiff)
    assert result.exit_code == 0 and "WARNING [ko-stiff]" in result.output
    off = tmp_path / "off.toml"
    off.write_text('[[rule]]\nid = "ko-stiff"\nseverity = "off"\n', encoding="utf-8")
    assert "ko-stiff" not in tone("--lexicon", str(off), stiff).output
    # With both Korean scorers off, Korean text is not analysed at all.
    off.write_text(
        '[[rule]]\nid = "ko-stiff"\nseverity = "off"\n[[rule]]\nid = "ko-advert"\nseverity = "off"\n', "utf-8"
    )
    assert not load_lexicon(off).analyses("ko") and load_lexicon(off).analyses("en")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('scorer = "warmth"\nlanguage = "ko"', 'scorer = "warmth" flags sentences by score'),
        ('scorer = "stiff"\nlanguage = "any"', 'language = "ko" or "en"'),
        ('scorer = "stiff"\nlanguage = "en"\nregex = "x"', "and no phrase or regex"),
    ],
)
def test_a_bad_scorer_rule_is_one_clear_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[[rule]]\nid = "bad"\n{body}\nwhy = "x"\nsuggestion = "y"\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_lexicon(path)
    result = tone("--lexicon", str(path), "hello")
    assert result.exit_code == 1 and result.output.startswith("Error: ") and 'rule "bad"' in result.output


# --- The corpus ------------------------------------------------------------------------------------


def corpus(half: str) -> list[dict[str, str]]:
    with (CORPUS / f"{half}.tsv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def test_the_corpus_has_two_halves_of_labelled_sentences_in_both_languages() -> None:
    development, heldout = corpus("development"), corpus("heldout")
    assert len(development) + len(heldout) >= 300
    for rows in (development, heldout):
        assert {(row["language"], row["label"]) for row in rows} == {
            (language, label) for language in ("ko", "en") for label in ("stiff", "promotional", "warm")
        }
    texts = [row["text"] for row in development + heldout]
    assert len(set(texts)) == len(texts)  # no sentence twice, and none in both halves


@pytest.mark.parametrize("language", ["ko", "en"])
def test_on_the_development_half_the_check_meets_the_targets(language: str) -> None:
    """The held-back half is for bench/bench_tone.py only; this guards the tuned scorer against regressions."""
    rows = [row for row in corpus("development") if row["language"] == language]
    found = {row["text"]: flags_of(row["text"], language) for row in rows}
    for label in ("stiff", "promotional"):
        chosen = [row["text"] for row in rows if row["label"] == label]
        assert sum(bool(found[t]) for t in chosen) >= 0.85 * len(chosen), label
    warm = [row["text"] for row in rows if row["label"] == "warm"]
    assert sum(BLOCKING in found[t].values() for t in warm) <= len(warm) / 50


# --- Remembered analyses: a plan never pays for the analyser for words it has seen -----------------

PROBE = """
import atexit, sys
atexit.register(lambda: print("kiwi loaded:", "kiwipiepy" in sys.modules))
from planner.cli import main
sys.argv = ["delight", *sys.argv[1:]]
main()
"""


def delight_in_a_new_process(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run delight in a fresh Python in ``cwd`` (no team folders from the environment); it says if Kiwi loaded."""
    env = {k: v for k, v in os.environ.items() if k not in ("DELIGHT_TEMPLATES", "DELIGHT_LEXICON", "DELIGHT_RULES")}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def remembered_count(store: Engine) -> int:
    with store.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM tone_analyses")).scalar_one()


@pytest.fixture
def seeded(initialised: Callable[..., Result]) -> Callable[..., Result]:
    result = initialised("seed", "--customers", "80", "--seed", "3", "--today", "2026-11-30")
    assert result.exit_code == 0, result.output
    return initialised


def test_a_plan_loads_the_analyser_only_for_new_words_and_remembers_them(
    seeded: Callable[..., Result], db_url: str, store: Engine, tmp_path: Path
) -> None:
    plan = ("--db", db_url, "plan", "--week", WEEK, "--seed", "1")
    shipped_only = delight_in_a_new_process(*plan, cwd=tmp_path)
    assert shipped_only.returncode == 0, shipped_only.stderr
    assert "kiwi loaded: False" in shipped_only.stdout  # the shipped templates' analyses ship with delight
    assert remembered_count(store) == 0

    (tmp_path / "delight-templates").mkdir()
    (tmp_path / "delight-templates" / "ours.toml").write_text(WARM_TEAM_TEMPLATE, encoding="utf-8")
    first = delight_in_a_new_process(*plan, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "kiwi loaded: True" in first.stdout and remembered_count(store) == 1
    again = delight_in_a_new_process(*plan, cwd=tmp_path)
    assert again.returncode == 0 and "kiwi loaded: False" in again.stdout
    assert remembered_count(store) == 1


def test_a_changed_lexicon_changes_the_verdict_without_the_analyser(
    seeded: Callable[..., Result], db_url: str, store: Engine, tmp_path: Path
) -> None:
    plan = ("--db", db_url, "plan", "--week", WEEK, "--seed", "1")
    (tmp_path / "delight-templates").mkdir()
    (tmp_path / "delight-templates" / "ours.toml").write_text(STIFF_TEAM_TEMPLATE, encoding="utf-8")
    (tmp_path / "delight-lexicon.toml").write_text('[[rule]]\nid = "ko-stiff"\nlanguage = "ko"\nscorer = "stiff"\n'
        'severity = "warning"\nwhy = "Stiff."\nsuggestion = "Say it warmly."\n', encoding="utf-8")  # fmt: skip
    allowed = delight_in_a_new_process(*plan, cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "kiwi loaded: True" in allowed.stdout and remembered_count(store) == 1

    (tmp_path / "delight-lexicon.toml").unlink()  # the shipped lexicon again: ko-stiff blocks
    refused = delight_in_a_new_process(*plan, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith('Error: template "ours-ko-stiff"') and "[ko-stiff]" in refused.stderr
    assert "kiwi loaded: False" in refused.stdout


def test_the_shipped_analyses_are_what_the_analyser_sees_in_the_shipped_templates(tmp_path: Path) -> None:
    """If this fails, a feature, Kiwi or a shipped template changed: run `python -m planner.words.tone_memory`."""
    written = tmp_path / SHIPPED
    write_shipped(written)
    shipped = Path(__file__).parent.parent / "planner" / "words" / SHIPPED
    assert json.loads(written.read_text(encoding="utf-8")) == json.loads(shipped.read_text(encoding="utf-8"))


# --- Patterns from files run in linear time (RE2) ---------------------------------------------------

CATASTROPHIC = '[[rule]]\nid = "ours-slow"\nregex = "(.*.*)*x"\nseverity = "warning"\nwhy = "x"\nsuggestion = "y"\n'


def test_a_catastrophic_regex_in_the_team_lexicon_does_not_hang_tone_check(tmp_path: Path) -> None:
    (tmp_path / "delight-lexicon.toml").write_text(CATASTROPHIC, encoding="utf-8")
    # With a backtracking engine this takes longer than the age of the universe; RE2 needs microseconds.
    result = delight_in_a_new_process("tone", "check", "a" * 60, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_catastrophic_regex_in_the_team_lexicon_does_not_hang_plan(
    seeded: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "delight-lexicon.toml").write_text(CATASTROPHIC, encoding="utf-8")
    result = delight_in_a_new_process("--db", db_url, "plan", "--week", WEEK, "--seed", "1", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("regex", ["(?<=고객)님", "(a)\\\\1", "\\\\bdear(?!\\\\s+sam)"])
def test_a_pattern_re2_cannot_run_is_one_error_line_naming_the_rule(
    regex: str, tmp_path: Path, seeded: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ours.toml"
    path.write_text(f'[[rule]]\nid = "ours-look"\nregex = "{regex}"\nwhy = "x"\nsuggestion = "y"\n', encoding="utf-8")
    result = tone("--lexicon", str(path), "hello")
    assert result.exit_code == 1
    assert result.output.startswith(f'Error: {path}: rule "ours-look": regex "') and "does not compile" in result.output
    assert len(result.output.strip().splitlines()) == 1
    monkeypatch.setenv("DELIGHT_LEXICON", str(path))
    planned = seeded("plan", "--week", WEEK, "--seed", "1")
    assert planned.exit_code == 1 and 'rule "ours-look"' in planned.output
