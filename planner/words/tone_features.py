"""The tone scorer: features an analyser sees in each sentence, weighed into a score per kind.

A feature is a shape of wording (a passive receipt, a 하십시오체 ending, a ticket number, a
discount) with a weight: positive ones make a sentence read stiff or like an advert, negative
ones (a person speaking: "I", 해요체, the customer's name) make it read like someone. A
sentence's score for a kind is the sum of its features' weights, each counted at most
``Feature.most`` times. ``WARN_AT`` and ``BLOCK_AT`` turn scores into flags; the lexicon's
``scorer`` rules say whether a score that high blocks or only warns.

What an analyser saw (``Sentence``) depends only on the words, the language and the analyser's
version (``analysis_key``), so it can be remembered: see ``planner.words.tone_memory``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

# Sentences scoring this much read stiff (or like an advert): a warning, then a blocking flag.
WARN_AT = 2.0
BLOCK_AT = 3.0
KINDS = ("stiff", "advert")

# Bump when a feature's definition changes: remembered analyses under the old version are not used.
FEATURES_VERSION = 1

_HANGUL = re.compile(r"[가-힣]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What a placeholder stands for while a template is analysed: a name reads as a name, and so on.
_EXAMPLES = {
    "ko": {"first_name": "민지", "last_item": "머그컵", "years": "2", "occasion": "생일"},
    "en": {"first_name": "Sam", "last_item": "mug", "years": "2", "occasion": "birthday"},
}


@dataclass(frozen=True)
class Feature:
    """A shape of wording: which score it adds to, how much, how a flag says it, and what to write instead."""

    kind: str  # "stiff" or "advert"
    weight: float  # negative: reads like a person
    says: str
    instead: str
    most: int = 1  # how many times in one sentence it counts


@dataclass(frozen=True)
class Signal:
    """A feature seen in a sentence, and the words that show it."""

    feature: str
    words: str


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text as the analyser saw it."""

    line: int
    text: str
    signals: tuple[Signal, ...]


def language_of(text: str) -> str:
    """``ko`` for text with Hangul in it, else ``en``."""
    return "ko" if _HANGUL.search(text) else "en"


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(line number, sentence) for each sentence: split at line breaks and after . ! ?"""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        found += [(number, piece.strip()) for piece in _SENTENCE_END.split(line) if piece.strip()]
    return found


def analyse(text: str, language: str) -> tuple[Sentence, ...]:
    """Every sentence of ``text`` with the features the ``language``'s analyser sees in it.

    Placeholders ({first_name}, ...) are read as an example value, so a template reads like a message.
    """
    if language == "ko":
        from planner.words.tone_korean import signals
    else:
        from planner.words.tone_english import signals
    examples = _EXAMPLES[language]
    return tuple(
        Sentence(line, sentence, tuple(signals(_PLACEHOLDER.sub(lambda m: examples.get(m[1], m[1]), sentence))))
        for line, sentence in split_sentences(text)
    )


@cache
def features() -> dict[str, Feature]:
    """Every feature of both languages, by id."""
    from planner.words.tone_english import FEATURES as ENGLISH
    from planner.words.tone_korean import FEATURES as KOREAN

    return {**KOREAN, **ENGLISH}


def score(sentence: Sentence, kind: str) -> float:
    """The sentence's score for ``kind``: its features' weights, each counted at most ``most`` times."""
    table = features()
    counts = Counter(signal.feature for signal in sentence.signals)
    return sum(
        table[name].weight * min(count, table[name].most) for name, count in counts.items() if table[name].kind == kind
    )


def reasons(sentence: Sentence, kind: str) -> tuple[str, str]:
    """Why the sentence scored (its features, weightiest first, with their words) and what to write instead."""
    table = features()
    seen: dict[str, list[str]] = {}
    for signal in sentence.signals:
        if table[signal.feature].kind == kind and table[signal.feature].weight > 0:
            seen.setdefault(signal.feature, [])
            if signal.words not in seen[signal.feature]:
                seen[signal.feature].append(signal.words)
    counts = Counter(signal.feature for signal in sentence.signals)
    weightiest = sorted(seen, key=lambda name: -table[name].weight * min(counts[name], table[name].most))
    why = "; ".join(f"{table[name].says} ({', '.join(repr(w) for w in seen[name][:3])})" for name in weightiest)
    return why, table[weightiest[0]].instead if weightiest else ""


@cache
def analyser_version(language: str) -> str:
    """What an analysis depends on besides the words: the features' version and, for Korean, Kiwi's model."""
    if language == "ko":
        return f"features {FEATURES_VERSION}; kiwipiepy {_minor('kiwipiepy')}; model {version('kiwipiepy-model')}"
    return f"features {FEATURES_VERSION}"


def _minor(package: str) -> str:
    return ".".join(version(package).split(".")[:2])


def analysis_key(text: str, language: str) -> str:
    """The key an analysis is remembered by: a SHA-256 of the words, the language and the analyser's version."""
    content = json.dumps([analyser_version(language), language, text], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def to_data(sentences: Iterable[Sentence]) -> list:
    """An analysis as plain lists (line, sentence, [[feature, words], ...]), to remember as JSON."""
    return [[s.line, s.text, [[signal.feature, signal.words] for signal in s.signals]] for s in sentences]


def from_data(data: list) -> tuple[Sentence, ...]:
    """An analysis remembered by ``to_data``."""
    return tuple(
        Sentence(line, text, tuple(Signal(feature, words) for feature, words in signals))
        for line, text, signals in data
    )
