"""The words printouts use, in Korean and English.

Cards speak the customer's language; briefs, labels and packing lists speak the team's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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

_LANGUAGES: dict[Language, dict[Language, str]] = {
    "ko": {"en": "Korean", "ko": "한국어"},
    "en": {"en": "English", "ko": "영어"},
}


def language_name(tag: str, language: Language) -> str:
    """A customer's language, named in the team's language."""
    return _LANGUAGES[language_of(tag)][language]


def without_address(opener: str, names: Iterable[str]) -> str:
    """The opener without the name it starts by calling, which the card's greeting already says:
    "Donald, I hope…" → "I hope…", "민지님, 늘 고마워요" → "늘 고마워요"; anything else as it is."""
    text = opener.strip()
    for name in sorted({name.strip() for name in names if name.strip()}, key=len, reverse=True):
        called = re.match(rf"(?:(?:dear|hi|hello|hey)\s+)?{re.escape(name)}(?:\s*님|\s*씨)?\s*[,!.~:]\s*", text, re.I)
        rest = text[called.end() :] if called else ""
        if rest:
            return rest[0].upper() + rest[1:] if rest[0].isascii() else rest
    return opener


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
        "gift": "Gift to pack: {gift}",
        "call_sheet": "Call sheet",
        "phone": "Phone",
        "no_phone": "No phone number on file: answer in writing instead (delight feedback reply).",
        "due": "Call by {day}",
        "ordered": "What they ordered",
        "nothing_ordered": "No order on file.",
        "tried_before": "Tried before",
        "nothing_tried": "Nothing yet: this is the first call.",
        "by": "by {who}",
        "start_with": "Start with",
        "outcome": "How it went",
        "outcome_boxes": "□ Reached them|□ No answer: try again|□ Call back on ____________",
        "log_it": "Then log it: delight log sent {id}  (or failed {id} if you could not reach them)",
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
        "gift": "포장할 선물: {gift}",
        "call_sheet": "통화 기록지",
        "phone": "전화번호",
        "no_phone": "등록된 전화번호가 없어요: 글로 답해 주세요 (delight feedback reply).",
        "due": "{day}까지 전화",
        "ordered": "주문한 것",
        "nothing_ordered": "주문 기록이 없어요.",
        "tried_before": "이전 연락",
        "nothing_tried": "아직 없음: 이번이 첫 연락이에요.",
        "by": "{who}",
        "start_with": "이렇게 시작해 보세요",
        "outcome": "통화 결과",
        "outcome_boxes": "□ 통화함|□ 받지 않음: 다시 시도|□ 다시 걸기로 한 때 ____________",
        "log_it": "통화 후 기록: delight log sent {id}  (연결되지 않았으면 failed {id})",
    },
}

PACKING: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Packing list",
        "shelf": "From the shelf",
        "to_pack": "To pack",
        "on_hand": "On hand",
        "left_after": "Left after",
        "not_counted": "not counted",
        "counted": "counted on {day}",
        "sent_since": "{count} logged sent since",
        "stock_rule": "On hand: the stock counted in the rules file, less every gift logged sent since that day. "
        "Log parcels sent as you go (delight log sent ID…) and the count stays true.",
        "parcels": "Parcels",
        "mark": "Label",
        "customer": "For",
        "gift": "Gift",
        "card_head": "Card",
        "card": "With the card",
        "card_by": "Card by {writer}",
        "packed": "Packed",
        "no_gift": "no gift chosen: pick one from the shelf",
        "no_address": "no address: no label printed",
    },
    "ko": {
        "title": "포장 목록",
        "shelf": "꺼낼 선물",
        "to_pack": "포장할 수",
        "on_hand": "재고",
        "left_after": "포장 후 남는 수",
        "not_counted": "재고 관리 안 함",
        "counted": "{day} 기준",
        "sent_since": "그 뒤 발송 기록 {count}개",
        "stock_rule": "재고: 규칙 파일에 적은 수량에서 그날 이후 발송으로 기록된 선물을 뺀 수예요. "
        "보낼 때마다 기록하면(delight log sent 번호…) 재고가 맞게 유지돼요.",
        "parcels": "보낼 소포",
        "mark": "라벨",
        "customer": "받는 분",
        "gift": "선물",
        "card_head": "카드",
        "card": "카드 동봉",
        "card_by": "카드: {writer}",
        "packed": "포장",
        "no_gift": "선물 미정: 선반에서 하나 골라 주세요",
        "no_address": "주소 없음: 라벨 미출력",
    },
}
