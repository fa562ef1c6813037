"""Templates: a warm library for every kind and language, missing data, occasions, team folders, batch variety."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from profiles import make_profile

from planner.core.errors import RulesError, TemplateError
from planner.core.facts import PastGesture, Profile
from planner.core.plan import PLANNED, Plan, PlanRequest, make_plan, words_timing
from planner.core.rules import load_rules, parse_rules
from planner.words.templates import _parse, load_templates, opener, opener_key, read_templates

WEEK = "2026-W49"
AS_OF = date(2026, 11, 30)
TEMPLATES = load_templates()
KINDS = ("handwritten_note", "small_gift", "cheer_message", "recovery_call")
RULES = """
currency = "KRW"
weekly_budget = 10000000
holdout_percent = 0
wildcards = 0
[gestures.handwritten_note]
cost = 1500
capacity = 500
physical = true
[gestures.cheer_message]
cost = 0
capacity = 500
[gestures.recovery_call]
cost = 0
capacity = 500
recovery = true
[[rules]]
name = "birthday cheer"
gesture = "cheer_message"
when = "days_until_birthday <= 7"
priority = 30
[[rules]]
name = "thanks"
gesture = "handwritten_note"
when = "orders_count >= 1"
occasion = "thanks"
"""


def person(customer_id: int, first_name: str | None = "민지", language: str = "ko", **facts: object) -> Profile:
    profile = make_profile(customer_id, first_name=first_name, language=language, **{"last_order_items": (), **facts})
    return replace(profile, name=first_name)


def plan_for(people: list[Profile], rules_text: str = RULES, history: dict | None = None, **extra: object):
    rules = parse_rules(rules_text)
    return make_plan(PlanRequest(WEEK, AS_OF, 3, rules, rules.weekly_budget, people, history or {}, TEMPLATES, **extra))


def test_every_kind_and_language_has_warm_variants_for_any_customer() -> None:
    for kind in KINDS:
        for language in ("ko", "en"):
            variants = TEMPLATES.variants(kind, language)
            assert len(variants) >= 4, (kind, language)
            # Words that need nothing known, and words for someone with no first name.
            assert any(not t.placeholders and not t.occasions for t in variants), (kind, language)
            assert sum("first_name" not in t.placeholders and not t.occasions for t in variants) >= 2
            assert len({opener_key(t.text) for t in variants}) == len(variants)


def test_missing_data_picks_a_variant_that_fits_and_leaves_no_gap() -> None:
    nameless = [person(i, first_name=None, language=lang) for i, lang in enumerate(["ko", "en"] * 3, start=1)]
    plan = plan_for(nameless)
    assert len(plan.gestures) == 6  # words are suggestions: nobody is left out for want of them
    worded = [gesture for gesture in plan.gestures if gesture.message]
    assert worded
    for gesture in worded:
        message = gesture.message or ""
        assert "{" not in message and "None" not in message
        assert "  " not in message and " ," not in message and not message.startswith(("님", ",", " "))
        template = next(t for t in TEMPLATES.templates if t.id == gesture.template)
        assert not template.placeholders  # nothing about them is known, so only words that need nothing


def test_what_is_known_is_used_and_the_occasion_chooses_the_words() -> None:
    birthday = person(1, first_name="Sam", language="en", days_until_birthday=2, last_order_items=("teapot",))
    plan = plan_for([birthday])
    [gesture] = plan.gestures
    assert gesture.kind == "cheer_message"
    template = next(t for t in TEMPLATES.templates if t.id == gesture.template)
    assert "birthday" in template.occasions
    assert "Sam" in (gesture.message or "")
    with_item = person(2, first_name=None, last_order_items=("머그컵",))
    [note] = plan_for([with_item]).gestures
    assert note.message and "머그컵" in note.message  # a detail about them beats words that need nothing


def test_rules_carry_an_occasion_from_the_key_or_the_facts() -> None:
    rules = {rule.name: rule.occasion for rule in load_rules().rules}
    assert rules["birthday cheer"] == "birthday"
    assert rules["we miss you"] == "we_miss_you"
    assert rules["complaint follow-up"] is None
    derived = parse_rules(RULES.replace('name = "birthday cheer"', 'name = "b"'))
    assert {r.name: r.occasion for r in derived.rules}["b"] == "birthday"
    with pytest.raises(RulesError, match='occasion "birthdya" is not known \\(did you mean "birthday"\\?\\)'):
        parse_rules(RULES.replace('occasion = "thanks"', 'occasion = "birthdya"'))


def test_a_team_folder_adds_and_overrides_variants_by_id(tmp_path: Path) -> None:
    (tmp_path / "ours.toml").write_text(
        """
[[template]]
id = "note-ko-1"
kind = "handwritten_note"
language = "ko"
text = "{first_name}님, 저희 팀이 직접 고른 말로 바꿨어요. 고맙습니다."

[[template]]
id = "ours-note-ko"
kind = "handwritten_note"
language = "ko"
text = "{first_name}님, 하늘 찻집 식구들이 다 같이 인사드려요. 늘 고마워요."
occasions = ["thanks"]
""",
        encoding="utf-8",
    )
    library = load_templates(tmp_path)
    by_id = {t.id: t for t in library.templates}
    assert by_id["note-ko-1"].text.startswith("{first_name}님, 저희 팀이")
    assert by_id["ours-note-ko"].occasions == frozenset({"thanks"})
    assert len(library.templates) == len(TEMPLATES.templates) + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("고객님의 문의는 접수되었습니다. {first_name}님 고마워요.", '[ko-received] "접수되었"'),
        ("{first_name}님, {last_item}을 잘 쓰고 계신가요?", "[ko-particle-after-placeholder]"),
    ],
)
def test_a_team_template_with_a_blocking_flag_is_refused_by_name(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "ours.toml").write_text(
        f'[[template]]\nid = "ours-1"\nkind = "cheer_message"\nlanguage = "ko"\ntext = "{text}"\n', encoding="utf-8"
    )
    with pytest.raises(TemplateError) as raised:
        load_templates(tmp_path)
    assert str(raised.value).startswith(f'template "ours-1" ({tmp_path / "ours.toml"}) has a blocking tone flag')
    assert message in str(raised.value)
    assert any(t.id == "ours-1" for t in read_templates(tmp_path).templates)  # the tone check can still read it


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'id = "x"\nkind = "cheer_message"\nlanguage = "ko"\ntext = "{nickname}님"',
            'unknown placeholder "{nickname}"',
        ),
        ('id = "x"\nkind = "cheer_message"\nlanguage = "jp"\ntext = "hi"', 'language "jp"'),
        (
            'id = "x"\nkind = "cheer_message"\nlanguage = "en"\ntext = "{first_name}"\nfallback = true',
            "no placeholders",
        ),
        ('id = "x"\nkind = "cheer_message"\nlanguage = "en"\ntext = "hi"\noccasions = ["xmas"]', "occasions must be"),
        (
            'id = "x"\nkind = "cheer_message"\nlanguage = "en"\ntext = "hi"\n'
            '[[template]]\nid = "x"\nkind = "cheer_message"\nlanguage = "en"\ntext = "hello"',
            'template "x" is defined twice; give each template a unique id',
        ),
    ],
)
def test_a_bad_team_template_is_one_clear_error(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(f"[[template]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=message):
        read_templates(tmp_path)


def test_the_opener_is_the_first_sentence_as_the_template_wrote_it() -> None:
    assert opener("민지님, 요즘 어떻게 지내세요? 문득 생각났어요.") == "민지님, 요즘 어떻게 지내세요?"
    assert opener("Sam, thank you. Truly.") == "Sam, thank you."
    assert opener_key("Sam,  thank you!") == opener_key("sam, thank you.")
    [template] = read_templates_from('text = "{first_name}님, 요즘 어떻게 지내세요? 문득 생각났어요."')
    assert template.opener == "요즘 어떻게 지내세요"  # the same for every name, so "민지님, …" and "서연님, …" repeat


def read_templates_from(entry: str) -> list:
    return _parse("test", f'[[template]]\nid = "t"\nkind = "cheer_message"\nlanguage = "ko"\n{entry}\n')


WRITERS = (
    RULES
    + """
[writers.Minji]
capacity = 200
languages = ["ko", "en"]
[writers.Seoyeon]
capacity = 200
languages = ["ko", "en"]
"""
)


def opener_limits_hold(plan: Plan, people: list[Profile], rules_text: str) -> None:
    """No opener twice in one writer's stack; across the week at most ⌈gestures of a moment ÷ variants⌉."""
    rules = parse_rules(rules_text)
    language = {p.customer_id: p.language for p in people}
    planned = [g for g in plan.gestures if g.status == PLANNED]
    for writer in {g.writer for g in planned if g.writer}:
        stack = [g.opener for g in planned if g.writer == writer and g.opener]
        assert len(stack) == len(set(stack)), writer
    groups: dict[tuple, list] = defaultdict(list)
    for g in planned:
        timing = words_timing(g.for_day, g.send_by, rules.gestures[g.kind].posting_days)
        groups[(g.kind, language[g.customer_id], g.occasion, timing)].append(g)
    for (kind, lang, occasion, timing), gestures in groups.items():
        variants = [t for t in TEMPLATES.variants(kind, lang) if t.suits(occasion, timing)]
        uses = Counter(g.opener for g in gestures if g.opener)
        if uses:
            assert max(uses.values()) <= math.ceil(len(gestures) / len(variants)), (kind, lang, occasion, timing)


def test_many_customers_with_the_same_name_spread_over_every_opener() -> None:
    people = [person(i, first_name="민지", last_order_items=("머그컵",)) for i in range(1, 61)]
    plan = plan_for(people, WRITERS)
    assert len(plan.gestures) == 60
    values = {"first_name": "민지", "last_item": "머그컵"}
    fitting = {t.opener for t in TEMPLATES.variants("handwritten_note", "ko") if t.fits(values, "thanks")}
    worded = [g for g in plan.gestures if g.opener]
    assert {g.opener for g in worded} == fitting  # every fitting opener in use, none overused...
    assert len(worded) == min(60, 2 * len(fitting))  # ...and each writer's stack never repeats one
    opener_limits_hold(plan, people, WRITERS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["민지", "서연", "Sam", None]),
            st.sampled_from(["ko", "en"]),
            st.sampled_from([(), ("머그컵",), ("teapot",)]),
            st.one_of(st.none(), st.integers(0, 30)),
        ),
        min_size=1,
        max_size=120,
    ),
    st.integers(0, 2**31),
    st.sampled_from([RULES, WRITERS]),
)
def test_within_a_plan_opener_limits_hold(customers: list, seed: int, rules_text: str) -> None:
    people = [
        person(i, first_name=name, language=language, last_order_items=items, days_until_birthday=birthday)
        for i, (name, language, items, birthday) in enumerate(customers, start=1)
    ]
    rules = parse_rules(rules_text)
    plan = make_plan(PlanRequest(WEEK, AS_OF, seed, rules, rules.weekly_budget, people, {}, TEMPLATES))
    opener_limits_hold(plan, people, rules_text)
    assert all("{" not in (g.message or "") for g in plan.gestures if g.status == PLANNED)


def test_no_customer_gets_an_opener_they_had_before() -> None:
    sam = person(1, first_name="Sam", language="en", days_since_first_order=800)
    values = {"first_name": "Sam", "years": "2"}
    notes = [t for t in TEMPLATES.variants("handwritten_note", "en") if t.fits(values, "thanks")]
    keep = notes[-1]
    had = {1: frozenset(t.opener for t in notes if t.opener != keep.opener)}
    [gesture] = plan_for([sam], past_openers=had).gestures
    assert gesture.template == keep.id  # the only words whose opener Sam never had
    plan = plan_for([sam], past_openers={1: frozenset(t.opener for t in notes)})
    [gesture] = plan.gestures
    assert gesture.message is None and gesture.template is None  # the writer writes their own opening


def test_a_planned_template_is_never_offered_again() -> None:
    sam = person(1, first_name="Sam", language="en")
    long_ago = AS_OF - timedelta(days=400)
    history = {1: [PastGesture(1, "2025-W45", "cheer_message", "sent", t.id, long_ago) for t in TEMPLATES.templates]}
    [gesture] = plan_for([sam], history=history).gestures
    assert gesture.template is None and gesture.message is None
