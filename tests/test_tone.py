"""The tone check: flags with reasons and suggestions, clean passes, exit codes, a lexicon the team extends."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.cli import cli
from planner.core.errors import LexiconError
from planner.words.templates import read_templates, tone_flags
from planner.words.tone import BLOCKING, NOTE, WARNING, check_text, load_lexicon

LEXICON = load_lexicon()
ESSAY_WARM = "보내주신 말씀 잘 받았습니다. 곧 좋은 답변 드릴게요!"


def tone(*args: str) -> Result:
    return CliRunner().invoke(cli, ["tone", "check", *args])


def blocking_ids(text: str) -> set[str]:
    return {flag.rule_id for flag in check_text(text, LEXICON) if flag.severity == BLOCKING}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("고객님의 문의는 접수되었습니다", "ko-received"),
        ("본 메일은 발신 전용입니다.", "ko-send-only"),
        ("불편을 드려 죄송합니다. 더 나은 서비스 제공을 위해 노력하겠습니다.", "ko-form-apology"),
        ("{first_name}님, 감사의 뜻으로 10% 할인 쿠폰을 드려요.", "ko-coupon"),
        ("{first_name}님, 지금 바로 주문하세요!", "ko-call-to-action"),
        ("{last_item}을 잘 쓰고 계신가요?", "ko-particle-after-placeholder"),
        ("Dear Valued Customer,", "en-valued-customer"),
        ("Your request has been received.", "en-received"),
        ("Do not reply to this email.", "en-no-reply"),
        ("{first_name}, thank you! Here is a 15% off coupon for next time.", "en-coupon"),
        ("We apologise for any inconvenience caused.", "en-form-apology"),
    ],
)
def test_cold_wording_is_blocked_with_why_and_a_warmer_suggestion(text: str, rule: str) -> None:
    assert rule in blocking_ids(text)
    result = tone(text)
    assert result.exit_code == 1
    assert f"BLOCKING [{rule}]" in result.output
    assert "why: " in result.output and "try: " in result.output
    assert result.output.rstrip().endswith(NOTE)


def test_the_essays_example_is_flagged_and_its_suggestion_is_the_essays_warm_line() -> None:
    result = tone("고객님의 문의는 접수되었습니다")
    assert '"접수되었"' in result.output
    assert f"try: {ESSAY_WARM}" in result.output
    assert "WARNING [ko-customer-title]" in result.output  # 고객님 instead of a name


@pytest.mark.parametrize(
    "text",
    [
        "{first_name}님, 보내주신 말씀 잘 받았습니다. 곧 좋은 답변 드릴게요!",
        "민지님, 머그컵 잘 받으셨나요? 포장하면서 민지님 생각을 했어요.",
        "{first_name}, thank you for telling us. I'll get back to you soon!",
        "Hi Sam, I hope the teapot found a good home.",
    ],
)
def test_warm_words_pass_cleanly_in_both_languages(text: str) -> None:
    assert check_text(text, LEXICON) == []
    result = tone(text)
    assert result.exit_code == 0
    assert "no flags" in result.output and NOTE in result.output


def test_no_personal_detail_is_a_warning_that_does_not_fail() -> None:
    flags = check_text(ESSAY_WARM, LEXICON)
    assert [(f.rule_id, f.severity) for f in flags] == [("no-personal-detail", WARNING)]
    assert check_text("Dear Customer, thanks.", LEXICON)[-1].rule_id == "no-personal-detail"
    result = tone("Thanks for your order.")
    assert result.exit_code == 0
    assert "WARNING [no-personal-detail]" in result.output


def test_language_limits_the_rules_and_a_file_reports_lines(tmp_path: Path) -> None:
    assert check_text("Dear Valued Customer", LEXICON, language="ko")[0].rule_id == "no-personal-detail"
    message = tmp_path / "reply.txt"
    message.write_text("Hi {first_name},\nThanks for writing.\nDo not reply to this email.\n", encoding="utf-8")
    result = tone("--file", str(message))
    assert result.exit_code == 1
    assert "BLOCKING [en-no-reply] line 3:" in result.output


def test_exactly_one_input_is_required() -> None:
    assert tone().exit_code == 2
    assert tone("hello", "--templates").exit_code == 2


def test_every_shipped_template_passes_with_no_flag_at_all() -> None:
    assert tone_flags(read_templates(None), LEXICON) == []
    result = tone("--templates")
    assert result.exit_code == 0, result.output
    assert "no flags" in result.output


def test_a_team_lexicon_adds_replaces_and_switches_off_rules(tmp_path: Path) -> None:
    team = tmp_path / "lexicon"
    team.mkdir()
    (team / "ours.toml").write_text(
        """
[[rule]]
id = "ours-asap"
language = "en"
phrase = "as soon as   possible"
severity = "blocking"
reads_like = "bureaucracy"
why = "Vague urgency."
suggestion = "Say when: by Friday."

[[rule]]
id = "ko-customer-title"
severity = "off"

[[rule]]
id = "en-coupon"
language = "en"
regex = '\\bcoupon\\b'
severity = "warning"
why = "We allow coupons in our shop's notes, but think twice."
suggestion = "Is the coupon the point?"
""",
        encoding="utf-8",
    )
    lexicon = load_lexicon(team)
    assert [f.rule_id for f in check_text("{first_name}, we will reply as soon as possible", lexicon)] == ["ours-asap"]
    assert check_text("{first_name}님, 고객님 생각이 났어요", lexicon) == []
    assert [f.severity for f in check_text("{first_name}, a coupon", lexicon)] == [WARNING]
    result = tone("--lexicon", str(team), "We will reply as soon as possible, {first_name}.")
    assert result.exit_code == 1 and "BLOCKING [ours-asap]" in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[rule]]\nid = "bad"\nregex = "(unclosed"\nseverity = "blocking"\nwhy = "x"\nsuggestion = "y"\n',
            "does not compile",
        ),
        ('[[rule]]\nid = "bad"\nphrase = "x"\nseverity = "fatal"\nwhy = "x"\nsuggestion = "y"\n', 'severity "fatal"'),
        ('[[rule]]\nid = "bad"\nphrase = "x"\nregex = "x"\nwhy = "x"\nsuggestion = "y"\n', "exactly one of"),
        ('[[rule]]\nid = "bad"\nphrase = "x"\n', 'needs why = "..."'),
        ('[[rule]]\nid = "bad"\nphrase = "x"\nwhy = "x"\nsuggestion = "y"\nweight = "3"\n', 'unknown key "weight"'),
        (
            '[[rule]]\nid = "bad"\nphrase = "x"\nwhy = "x"\nsuggestion = "y"\n' * 2,
            "is defined twice; give each rule a unique id",
        ),
    ],
)
def test_a_bad_lexicon_rule_is_one_clear_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as raised:
        load_lexicon(path)
    assert 'rule "bad"' in str(raised.value) and str(path) in str(raised.value)
    result = tone("--lexicon", str(path), "hello")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
