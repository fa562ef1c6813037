"""The shipped words: enough variants per occasion and timing, openers that never repeat, and
words that agree with the calendar and with Korean grammar."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.core.rules import OCCASIONS
from planner.words.templates import TIMINGS, Template, load_templates, occasion_word, opener_key, read_templates

SHIPPED = read_templates(None)
LANGUAGES = ("ko", "en")
DATED = frozenset({"birthday", "anniversary"})
DAY_WORDS = ("오늘", "내일", "어제", "today", "tomorrow", "yesterday")
# Words that say the day is still to come, or already past, as a writer would put it.
AHEAD_WORDS = {
    "ko": ("미리", "곧", "앞두", "다가오", "다가와", "돌아올"),
    "en": ("ahead", "coming up", "soon", "early", "nearly", "almost", "advance", "around the corner", "coming round"),
}
BELATED_WORDS = {"ko": ("늦",), "en": ("late",)}
PARTICLE_AFTER_PLACEHOLDER = re.compile(r"\{[a-z_]+\}(은|는|이|가|을|를|과|와|으로|로|예요|이에요)")

# (kind, occasion or None for "no occasion", timing or None, at least this many per language)
MINIMUMS = [
    ("handwritten_note", "first_order", None, 8),
    ("handwritten_note", "milestone", None, 8),
    ("handwritten_note", "thanks", None, 8),
    ("handwritten_note", "we_miss_you", None, 8),
    ("handwritten_note", None, None, 8),
    *[("handwritten_note", day, timing, 2) for day in sorted(DATED) for timing in TIMINGS],
    ("small_gift", "thanks", None, 8),
    ("small_gift", None, None, 8),
    *[("small_gift", day, timing, 2) for day in sorted(DATED) for timing in TIMINGS],
    ("cheer_message", "birthday", "ahead", 8),
    ("cheer_message", "birthday", "on_the_day", 8),
    ("cheer_message", "birthday", "belated", 4),
    ("cheer_message", "anniversary", "ahead", 8),
    ("cheer_message", "anniversary", "on_the_day", 8),
    ("cheer_message", "anniversary", "belated", 4),
    ("cheer_message", None, None, 8),
    ("recovery_call", None, None, 8),
]
KINDS = sorted({kind for kind, *_ in MINIMUMS})


def written_for(template: Template, occasion: str | None, timing: str | None) -> bool:
    """True when the variant was written for this occasion (or for none) and this timing."""
    if occasion is None:
        return not template.occasions
    return occasion in template.occasions and (timing is None or timing in template.timing)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "occasion", "timing", "minimum"), MINIMUMS)
def test_enough_variants_for_every_occasion_and_timing(
    kind: str, occasion: str | None, timing: str | None, minimum: int, language: str
) -> None:
    variants = [t for t in SHIPPED.variants(kind, language) if written_for(t, occasion, timing)]
    assert len(variants) >= minimum, [t.id for t in variants]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_words_for_someone_nothing_is_known_about(kind: str, language: str) -> None:
    fallbacks = [t for t in SHIPPED.variants(kind, language) if t.fallback]
    assert len(fallbacks) >= 2
    assert all(not t.placeholders and not t.occasions and not t.timing for t in fallbacks)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_variant_opens_with_its_own_sentence(kind: str, language: str) -> None:
    variants = SHIPPED.variants(kind, language)
    openers: dict[str, str] = {}
    for template in variants:
        assert template.opener not in openers, (template.id, openers.get(template.opener))
        openers[template.opener] = template.id


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_openers_stay_different_once_filled_in(kind: str, language: str) -> None:
    """Different templates can read the same once filled in ("{occasion} 축하드려요" and "생일
    축하드려요" to a birthday customer): for every occasion and timing, the openers a customer could be offered
    differ once the placeholders are filled in."""
    name = "민지" if language == "ko" else "Sam"
    greeting = f"{name}님, " if language == "ko" else f"{name}, "
    for occasion in (None, *OCCASIONS):
        values = {"first_name": name, "last_item": "teapot", "years": "2"}
        values["occasion"] = occasion_word(occasion, language)
        for timing in (None, *TIMINGS):
            seen: dict[str, str] = {}
            for template in SHIPPED.variants(kind, language):
                if not template.fits(values, occasion, timing):
                    continue
                key = opener_key(template.render(values).removeprefix(greeting))
                assert key not in seen, (occasion, timing, template.id, seen.get(key))
                seen[key] = template.id


def test_every_birthday_and_anniversary_variant_says_when() -> None:
    dated = [t for t in SHIPPED.templates if t.occasions & DATED]
    assert dated
    assert [t.id for t in dated if not t.timing] == []
    # A timing means a day: only the dated occasions have one.
    assert [t.id for t in SHIPPED.templates if t.timing and not t.occasions <= DATED] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_dated_occasion_has_words_for_the_day_itself(language: str) -> None:
    for occasion in sorted(DATED):
        on_the_day = [t for t in SHIPPED.templates if t.language == language and written_for(t, occasion, "on_the_day")]
        assert on_the_day, occasion


def test_only_words_for_the_day_itself_speak_of_today() -> None:
    for template in SHIPPED.templates:
        if "on_the_day" in template.timing:
            continue
        text = template.text.casefold()
        assert not [word for word in DAY_WORDS if word in text], template.id


def test_words_before_or_after_the_day_say_so() -> None:
    for template in SHIPPED.templates:
        text = template.text.casefold()
        if "ahead" in template.timing:
            assert any(word in text for word in AHEAD_WORDS[template.language]), template.id
        if "belated" in template.timing:
            assert any(word in text for word in BELATED_WORDS[template.language]), template.id


def test_no_korean_particle_right_after_a_placeholder() -> None:
    korean = [t for t in SHIPPED.templates if t.language == "ko"]
    assert korean
    assert [t.id for t in korean if PARTICLE_AFTER_PLACEHOLDER.search(t.text)] == []


def test_the_shipped_words_pass_the_tone_check() -> None:
    library = load_templates()  # refuses any template with a blocking flag
    assert len(library.templates) == len(SHIPPED.templates)
    result = CliRunner().invoke(cli, ["tone", "check", "--templates"])
    assert result.exit_code == 0, result.output
    assert f"Checked {len(SHIPPED.templates)} texts: no flags." in result.output
