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
        "write_own": "Write your own opening: every suggested one is taken this week or was theirs before.",
        "for_day": "For {day}",
        "send_by": "Send by {day}",
        "send_on": "Send on {day}: the words say today",
        "failed": "did not reach them",
        "skipped": "skipped",
        "waiting": "Waiting for a person",
        "waiting_intro": "Owed a call, but this week's capacity is full: they come first next week. "
        "A reply in the feedback inbox today is better still.",
        "waiting_line": "{name} ({customer}): {why}, waiting {days} days",
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
        "write_own": "첫 문장은 직접 써 주세요: 이번 주 추천 문장을 모두 썼거나 이미 받아 본 문장이에요.",
        "for_day": "기념일: {day}",
        "send_by": "발송 기한: {day}",
        "send_on": "발송일: {day} 당일 ('오늘'이라고 말하는 문장이에요)",
        "failed": "연결되지 않음",
        "skipped": "건너뜀",
        "waiting": "연락을 기다리는 고객",
        "waiting_intro": "연락이 필요한데 이번 주 연락 가능 인원이 다 찼어요. 다음 주에 가장 먼저 연락해요. "
        "오늘 피드백함에서 답을 남기면 더 좋아요.",
        "waiting_line": "{name} ({customer}): {why}, {days}일째 기다리는 중",
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
