"""The words printouts use, in Korean and English.

Cards speak the customer's language; briefs, labels and packing lists speak the team's.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["ko", "en"]


def language_of(tag: str) -> Language:
    """ "ko", "ko-KR", "KO" → "ko"; every other tag → "en"."""
    return "ko" if tag.strip().lower().split("-")[0].split("_")[0] == "ko" else "en"


# Text before and after the name on a card: "Dear Minji," / "민지님께".
GREETING: dict[Language, tuple[str, str]] = {"ko": ("", "님께"), "en": ("Dear ", ",")}
# Printed before (en) or after (ko) the signature line: "Warmly, ____" / "____ 드림".
CLOSING: dict[Language, str] = {"ko": "드림", "en": "Warmly,"}
HONORIFIC = "님"

_KINDS: dict[str, dict[Language, str]] = {
    "handwritten_note": {"en": "Handwritten notes", "ko": "손편지"},
    "small_gift": {"en": "Small gifts", "ko": "작은 선물"},
    "cheer_message": {"en": "Cheer messages", "ko": "응원 메시지"},
    "recovery_call": {"en": "Recovery calls", "ko": "회복 연락"},
}
_LANGUAGES: dict[Language, dict[Language, str]] = {
    "ko": {"en": "Korean", "ko": "한국어"},
    "en": {"en": "English", "ko": "영어"},
}


def kind_name(kind: str, language: Language) -> str:
    """A gesture kind as a heading: "small_gift" → "Small gifts" / "작은 선물"."""
    return _KINDS.get(kind, {}).get(language) or kind.replace("_", " ").capitalize()


def language_name(tag: str, language: Language) -> str:
    """A customer's language, named in the team's language."""
    return _LANGUAGES[language_of(tag)][language]


BRIEF: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Writer's brief",
        "week": "Week {week}",
        "gestures": "Gestures this week",
        "total": "Total",
        "budget": "Budget",
        "budget_line": "{used} used of {budget}",
        "writer": "Writer: {writer}",
        "unassigned": "Not yet assigned",
        "customer_since": "Customer since {date}",
        "orders": "{count} orders",
        "last_bought": "Last bought: {item}",
        "why": "Why them",
        "their_words": "In their words",
        "review": "Review",
        "complaint": "Complaint",
        "rating": "{rating}/5",
        "overdue": "overdue: no reply for {days} days",
        "before": "Already had",
        "nothing_before": "Nothing yet: this is the first gesture.",
        "opener": "Suggested opener",
    },
    "ko": {
        "title": "작성자 안내서",
        "week": "{week} 주차",
        "gestures": "이번 주 할 일",
        "total": "합계",
        "budget": "예산",
        "budget_line": "{budget} 중 {used} 사용",
        "writer": "작성자: {writer}",
        "unassigned": "작성자 미정",
        "customer_since": "{date}부터 고객",
        "orders": "주문 {count}회",
        "last_bought": "최근 구매: {item}",
        "why": "고른 이유",
        "their_words": "고객이 남긴 말",
        "review": "리뷰",
        "complaint": "불만",
        "rating": "{rating}/5점",
        "overdue": "답변 지연: {days}일째 답변 없음",
        "before": "이전에 받은 것",
        "nothing_before": "아직 없음: 이번이 처음입니다.",
        "opener": "추천 첫 문장",
    },
}

PACKING: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Packing list",
        "customer": "Customer",
        "gift": "Gift",
        "note": "Note to enclose",
        "no_address": "no address: no label printed",
    },
    "ko": {
        "title": "포장 목록",
        "customer": "고객",
        "gift": "선물",
        "note": "동봉할 메모",
        "no_address": "주소 없음: 라벨 미출력",
    },
}
