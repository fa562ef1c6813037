"""What Kiwi sees in a Korean sentence that makes it read like a counter, a notice or an advert.

Kiwi (kiwipiepy, with its model from PyPI) splits a sentence into morphemes with their parts of
speech: ``접수되었습니다`` is 접수/NNG 되/XSV 었/EP 습니다/EF — a Sino-Korean noun made a
passive verb, in the 하십시오체 ending. The features below read those morphemes, not phrases,
so they see the shape in wording no lexicon listed. Each feature's weight and words are in
``FEATURES``; ``signals`` says which ones a sentence shows and with which of its words.

Kiwi loads once per process, on the first Korean sentence (about a second and 260 MB; its
proper-noun dictionaries, which tell nothing about register, are left out: they double both).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from planner.words.tone_features import Feature, Signal

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

# Kiwi without the dictionaries of proper nouns from Wikipedia/WikiData (multi.dict, default.dict):
# measured 264 MB and 1.0 s to the first sentence, against 520 MB and 4.6 s with them.
KIWI_OPTIONS = {"load_default_dict": False, "load_multi_dict": False}

FEATURES: dict[str, Feature] = {
    # Stiff: the register of a notice.
    "ko-formal-ending": Feature(
        "stiff", 1.0, "하십시오체 어미", "'~했어요', '~할게요'처럼 마주 보고 말하듯 끝내 보세요."
    ),
    "ko-passive": Feature(
        "stiff", 1.5, "한자어 명사에 '되다'를 붙인 수동형", "누가 했는지 말해 주세요: '접수되었습니다' → '잘 받았어요'."
    ),
    "ko-admin-noun": Feature(
        "stiff",
        0.75,
        "행정 용어",
        "행정 용어 대신 일상어로: 처리 → 해 두었어요, 안내 → 알려 드릴게요, 반영 → 바꿀게요.",
        most=3,
    ),
    "ko-customer-title": Feature("stiff", 1.0, "이름 대신 '고객님'", "{first_name}님처럼 이름을 불러 주세요."),
    "ko-request-order": Feature(
        "stiff", 2.0, "명령하는 '~바랍니다'/'~십시오'", "부탁하듯 물어 보세요: '~해 주실 수 있을까요?'"
    ),
    "ko-redirect": Feature(
        "stiff",
        1.5,
        "다른 곳으로 떠넘기기",
        "직접 도와 드리겠다고 말해 보세요: '제가 택배사에 알아보고 바로 알려 드릴게요.'",
    ),
    "ko-empty-promise": Feature(
        "stiff",
        1.5,
        "아무것도 약속하지 않는 다짐",
        "무엇을 바꿨는지 구체적으로: '말씀 듣고 포장을 두 겹으로 바꿨어요.'",
    ),
    "ko-obligation": Feature(
        "stiff",
        1.0,
        "고객에게 의무를 지우는 '~하셔야 합니다'",
        "대신 해 드릴 수 있는 걸 말해 보세요: '주문은 제가 바꿔 둘게요.'",
    ),
    "ko-nominalised": Feature("stiff", 1.0, "'~음을' 명사형 보고", "그냥 말해 주세요: '반품 받았어요.'"),
    "ko-form-apology": Feature(
        "stiff", 1.0, "정형화된 사과문", "무슨 일이 있었는지 짚어서 사과해 주세요: '택배가 늦어져서 정말 죄송해요.'"
    ),
    # Warm: a person speaking, to someone they know.
    "ko-haeyo-ending": Feature("stiff", -1.0, "해요체 어미", ""),
    "ko-first-person": Feature("stiff", -1.0, "'제가' 직접", ""),
    "ko-named": Feature("stiff", -1.0, "이름을 부름", ""),
    "ko-feeling": Feature("stiff", -0.5, "마음을 말함", ""),
    # Advert: selling.
    "ko-ad-tag": Feature("advert", 3.0, "광고 표시", "광고와 인사는 따로 보내세요: 인사에는 고마움만 담아 보세요."),
    "ko-percent": Feature("advert", 1.5, "할인율", "숫자 대신 마음을: '늘 찾아 주셔서 고마워요.'"),
    "ko-deal": Feature(
        "advert", 1.5, "혜택·할인 낱말", "혜택 대신 마음을 전해 보세요: '늘 찾아 주셔서 정말 고마워요.'", most=2
    ),
    "ko-urgency": Feature("advert", 1.0, "서두르게 하는 말", "재촉하지 말고 안부를 물어 보세요.", most=2),
    "ko-selling-order": Feature(
        "advert", 1.5, "사라고 권하는 명령", "아무것도 바라지 않는 한마디로 끝내 보세요: '따뜻한 한 주 보내세요.'"
    ),
    "ko-price": Feature("advert", 1.0, "가격", "가격 말고 사람 이야기를 해 보세요."),
    "ko-selling-if": Feature("advert", 1.0, "조건을 건 권유", "조건 없이 고마움만 전해 보세요."),
}

_FORMAL_ENDINGS = {"습니다", "ᆸ니다", "습니까", "ᆸ니까", "ᆸ시오", "으십시오", "십시오", "사오니", "오니"}
_ORDER_ENDINGS = {"ᆸ시오", "으십시오", "십시오"}
_HAEYO_ENDINGS = {
    "어요", "에요", "예요", "죠", "지요", "네요", "군요", "ᆯ게요", "을게요", "ᆯ까요", "을까요", "나요", "대요", "래요",
    "거든요", "잖아요", "세요", "으세요", "어", "지", "네", "야", "ᆯ래요", "을래요", "던데요", "는데요", "ᆫ데요",
}  # fmt: skip
# Sino-Korean nouns of a service desk: what a notice is made of.
_ADMIN_NOUNS = {
    "접수", "처리", "이관", "반영", "안내", "검토", "진행", "완료", "해당", "관련", "부서", "담당", "담당자", "규정",
    "정책", "절차", "조치", "양해", "협조", "참고", "회신", "당사", "귀하", "제공", "이용", "운영", "적용", "신청",
    "승인", "기준", "영업일", "소요", "예정", "불가", "순차", "일괄", "향후", "추후", "상기", "기재", "유의", "숙지",
    "부과", "제한", "민원", "사항", "건", "내역", "기타", "결과", "내부", "사정", "전달", "출고", "변경", "확인",
    "요청", "문의", "정상", "가능", "이내", "시행", "공지", "서비스", "상담", "발송", "의거", "지연", "발신", "전용",
    "수단", "반송", "부담", "만족",
}  # fmt: skip
# Not nouns, but of the same notice: 본 (this), ~시 (when ~), ~로 인하여 (owing to).
_ADMIN_OTHERS = {("본", "MM"), ("시", "NNB"), ("인하", "VV")}
_REDIRECT_PLACES = {
    "센터", "고객센터", "FAQ", "홈페이지", "게시판", "페이지", "마이페이지", "공지", "공지사항", "제조사", "택배사",
    "카드사", "은행", "부서", "콜센터", "채널", "상담원", "질문", "판매자",
}  # fmt: skip
_REDIRECT_VERBS = {"문의", "연락", "확인", "이용", "참고", "접수", "수정", "변경", "조회", "신청"}
_PROMISE_NOUNS = {"노력", "반영", "보답", "최선", "개선", "향상"}
_TITLES = {"고객", "회원"}
_APOLOGY_NOUNS = {("불편", "NNG"), ("심려", "NNG"), ("폐", "NNG")}  # 불편을 드려, 심려를 끼쳐
_FEELINGS = {"고맙", "반갑", "기쁘", "속상", "미안", "궁금", "행복", "즐겁", "따뜻", "걱정", "축하", "좋아하", "아쉽"}
_DEALS = {
    "할인", "쿠폰", "적립", "적립금", "특가", "세일", "무료", "사은품", "증정", "포인트", "상품권", "최저", "최저가",
    "타임딜", "공짜", "이벤트", "응모", "추첨", "혜택", "행사", "한정판", "신상", "신상품", "재입고", "입고", "최대",
    "럭키", "박스", "프라이데이", "블랙프라이데이", "시즌오프", "오프", "딜", "정상가", "등급", "업그레이드", "구독",
    "오픈", "출시", "신제품", "가격", "베스트", "런칭",
}  # fmt: skip
_URGENCY = {
    "마감",
    "임박",
    "한정",
    "선착순",
    "품절",
    "재고",
    "소진",
    "자정",
    "마지막",
    "종료",
    "만료",
    "기회",
    "매진",
    "단",
}
_URGENT_VERBS = {"서두르", "놓치"}
_SELLING_VERBS = {
    "구매", "주문", "가입", "설치", "구독", "응모", "다운로드", "만나", "받", "사용", "신청", "참여", "경험", "잡",
    "담", "서두르", "놓치", "보", "클릭", "확인", "사",
}  # fmt: skip
# What a customer must do for a reward: "지금 가입하면", "3만원 이상 구매 시", "후기 남기면".
_CONDITION_VERBS = _SELLING_VERBS | {"설치", "남기", "작성", "추가", "초대", "결제", "주문"}


class Morpheme(NamedTuple):
    """One morpheme as Kiwi tags it, with where it sits in the sentence."""

    form: str
    tag: str  # Kiwi's tag without its -R/-I (regular/irregular) mark
    start: int
    end: int


@cache
def analyser() -> Kiwi:
    """The one Kiwi of this process, loaded on first use."""
    from kiwipiepy import Kiwi

    return Kiwi(**KIWI_OPTIONS)


def morphemes(sentence: str) -> list[Morpheme]:
    """The sentence's morphemes, by Kiwi."""
    return [
        Morpheme(token.form, token.tag.split("-")[0], token.start, token.start + token.len)
        for token in analyser().tokenize(sentence)
    ]


def signals(sentence: str) -> list[Signal]:
    """Every feature the sentence shows, with the words that show it."""
    return list(_signals(sentence, morphemes(sentence)))


_NOTHING = Morpheme("", "", 0, 0)  # before the first morpheme and after the last


def _signals(sentence: str, parts: list[Morpheme]) -> Iterator[Signal]:
    def words(first: int, last: int) -> str:
        first, last = max(first, 0), min(last, len(parts) - 1)
        return sentence[parts[first].start : parts[last].end]

    ending = _ending(parts)
    if ending is not None and parts[ending].form in _FORMAL_ENDINGS:
        yield Signal("ko-formal-ending", words(ending - 1, ending))
    elif ending is not None and parts[ending].form in _HAEYO_ENDINGS:
        yield Signal("ko-haeyo-ending", words(ending - 1, ending))
    for index, part in enumerate(parts):
        before = parts[index - 1] if index else _NOTHING
        following = parts[index + 1] if index + 1 < len(parts) else _NOTHING
        later = {p.form for p in parts[index + 1 : index + 6]}
        if part.tag == "NNG" and following.tag == "XSV" and following.form == "되":
            yield Signal("ko-passive", words(index, index + 1))
        if (part.tag == "NNG" and part.form in _ADMIN_NOUNS) or (part.form, part.tag) in _ADMIN_OTHERS:
            yield Signal("ko-admin-noun", part.form)
        if part.form in _TITLES and following.form == "님":
            yield Signal("ko-customer-title", words(index, index + 1))
        if part.form == "귀하":
            yield Signal("ko-customer-title", part.form)
        if part.tag == "NNP" and following.form == "님":
            yield Signal("ko-named", words(index, index + 1))
        asked = index and (before.tag == "ETN" or before.form in _ADMIN_NOUNS)  # 하시기 바랍니다, 양해 바랍니다
        if asked and (part.form, part.tag) == ("바라", "VV") and following.form in ("ᆸ니다", "ᆸ시오"):
            yield Signal("ko-request-order", words(index - 1, index + 1))
        if part.tag == "EF" and part.form in _ORDER_ENDINGS:
            yield Signal("ko-request-order", words(index - 2, index))
        if part.form in _REDIRECT_PLACES and _REDIRECT_VERBS & {p.form for p in parts[index + 1 : index + 8]}:
            yield Signal("ko-redirect", part.form)
        if part.form in _PROMISE_NOUNS and ("겠" in later or (part.form == "최선" and "다하" in later)):
            yield Signal("ko-empty-promise", words(index, index + 3))
        if part.tag == "EC" and part.form in ("어야", "아야") and before.form == "시" and following[:2] == ("하", "VX"):
            yield Signal("ko-obligation", words(index - 2, index + 2))  # 하셔야 합니다
        if part.tag == "ETN" and part.form in ("음", "ᆷ") and following.tag == "JKO":
            yield Signal("ko-nominalised", words(index - 2, index + 1))
        if (part.form, part.tag) in _APOLOGY_NOUNS and {"드리", "끼치"} & {
            p.form for p in parts[index + 1 : index + 4]
        }:
            yield Signal("ko-form-apology", words(index, index + 3))
        if part.tag == "NP" and part.form in ("저", "제") and following.tag.startswith("J"):
            yield Signal("ko-first-person", words(index, index + 1))
        if part.tag in ("VA", "VV", "XR", "NNG") and part.form in _FEELINGS:
            yield Signal("ko-feeling", part.form)
        yield from _advert_signals(sentence, parts, index, following)


def _advert_signals(sentence: str, parts: list[Morpheme], index: int, following: Morpheme) -> Iterator[Signal]:
    part = parts[index]
    if part.form == "광고" and index and parts[index - 1].tag == "SSO":
        yield Signal("ko-ad-tag", sentence[parts[index - 1].start : max(following.end, part.end)])
    if part.tag == "SN" and following.form == "%":
        yield Signal("ko-percent", sentence[part.start : following.end])
    if part.tag in ("SN", "NR") and following[:2] == ("원", "NNB"):
        yield Signal("ko-price", sentence[part.start : following.end])
    if part.tag == "SN" and following.form == "+" and index + 2 < len(parts):
        yield Signal("ko-deal", sentence[part.start : parts[index + 2].end])  # 1+1
    if part.tag.startswith("NN") and part.form in _DEALS:
        yield Signal("ko-deal", part.form)
    elif part.tag.startswith("NN") and following.tag == "XSN" and part.form + following.form in _DEALS:
        yield Signal("ko-deal", part.form + following.form)  # 상품/NNG 권/XSN, 최저/NNG 가/XSN
    if part.form in _CONDITION_VERBS and _is_condition(parts, index):
        yield Signal("ko-selling-if", sentence[part.start : parts[min(index + 2, len(parts) - 1)].end])
    if (part.tag.startswith("NN") or part.tag == "MM") and part.form in _URGENCY:
        yield Signal("ko-urgency", part.form)
    if part.tag == "VV" and part.form in _URGENT_VERBS:
        yield Signal("ko-urgency", part.form)
    if part.form in ("지금", "오늘") and following.form in ("바로", "만", "단"):
        yield Signal("ko-urgency", sentence[part.start : following.end])
    if part.tag == "EF" and part.form in ("세요", "으세요"):
        verbs = [p for p in parts[max(index - 4, 0) : index] if p.tag in ("NNG", "VV")]
        if any(verb.form in _SELLING_VERBS for verb in verbs):
            yield Signal("ko-selling-order", sentence[verbs[0].start : part.end])


def _is_condition(parts: list[Morpheme], index: int) -> bool:
    """True when the morpheme at ``index`` is the verb of an "if you ..." (가입하면, 사면) or a "when ~" (구매 시)."""
    after = [part.form for part in parts[index + 1 : index + 3] if part.tag != "XSV"]
    return bool(after) and after[0] in ("면", "으면", "시")


def _ending(parts: list[Morpheme]) -> int | None:
    """The index of the sentence's final ending (어미), or None when it ends on a noun."""
    for index in range(len(parts) - 1, -1, -1):
        tag = parts[index].tag
        if tag.startswith("S") or tag == "W_SERIAL":
            continue  # punctuation, symbols, numbers at the very end
        return index if tag in ("EF", "EC") else None
    return None
