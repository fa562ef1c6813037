"""The tone check: wording that reads like a machine, a bureaucracy or an advert.

Two kinds of rules, both data in lexicon files (``planner/lexicon/*.toml``, plus the team's own
file or folder), each with a language (``ko``, ``en`` or ``any``), a severity (``blocking`` or
``warning``; a team file may switch a shipped rule ``off`` by giving its id), why it reads badly
and a warmer suggestion. A team rule with a shipped rule's id replaces it.

- A ``phrase`` or ``regex`` rule flags the words it matches. Patterns are compiled with RE2
  (google-re2; case-insensitive) when the file is loaded, so a pattern from a file runs in time
  linear in the text, whatever it is; a pattern RE2 cannot compile (lookaround, backreference)
  is a :class:`~planner.core.errors.LexiconError` naming the file and the rule. Nothing is evaluated.
- A ``scorer`` rule (``stiff`` or ``advert``) flags each sentence whose score from the
  language's analyser reaches ``WARN_AT``/``BLOCK_AT`` (see ``planner.words.tone_features``): Kiwi's
  morphemes for Korean, explicit word patterns for English. Its severity is the most it may be:
  ``warning`` makes a high score warn only, ``off`` turns the analyser off for that language.

One check is not a rule: a text with no personal detail at all (no placeholder and no name in a
greeting) gets a warning.

This checks wording, not warmth: a text with no flags can still be cold.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import re2

from planner.core.errors import InputError, LexiconError
from planner.files.textfiles import parse_entries, parse_toml, read_utf8, shipped_sources
from planner.words.tone_features import BLOCK_AT, KINDS, WARN_AT, Sentence, analyse, language_of, reasons, score

BLOCKING = "blocking"
WARNING = "warning"
OFF = "off"
SEVERITIES = (BLOCKING, WARNING, OFF)
LANGUAGES = ("ko", "en", "any")
READS_LIKE = {
    "machine": "reads like a machine",
    "bureaucracy": "reads like a bureaucracy",
    "advert": "reads like an advert",
    "form letter": "reads like a form letter",
    "grammar": "reads wrong for some names",
}
"""What a rule's ``reads_like`` may say, and how a flag puts it."""

TEAM_LEXICON_ENV = "DELIGHT_LEXICON"
TEAM_LEXICON_FILE = "delight-lexicon.toml"
TEAM_LEXICON_DIR = "delight-lexicon"

NOTE = "Note: this checks wording patterns, not warmth. Read it aloud as the customer would."

NO_PERSONAL_DETAIL = "no-personal-detail"
_RULE_KEYS = ("id", "language", "phrase", "regex", "scorer", "severity", "reads_like", "why", "suggestion")
_LONGEST_QUOTE = 80  # a flagged sentence longer than this is shown cut
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# A name in a greeting: "민지님," (not 고객님/회원님) or "Hi Sam," (not "Dear Customer").
_NAMED_GREETING = re.compile(
    r"(?<![가-힣])(?!고객님|회원님|여러분)[가-힣]{2,4}님"
    r"|\b(?i:hi|hello|dear|hey)\s+(?!(?i:customer|valued|sir|madam|friend)\b)[A-Z][a-z]+",
)


@dataclass(frozen=True)
class ToneRule:
    """One lexicon rule: what to look for, in which language, how bad it is, why, and what instead."""

    id: str
    language: str
    pattern: re2._Regexp | None  # None for a scorer rule
    severity: str
    reads_like: str
    why: str
    suggestion: str
    source: str
    scorer: str | None = None  # "stiff" or "advert": flags sentences by the analyser's score instead


@dataclass(frozen=True)
class Lexicon:
    """The rules in force: shipped ones, then the team's (which may replace or switch them off)."""

    rules: tuple[ToneRule, ...]
    sources: tuple[str, ...]

    def analyses(self, language: str) -> bool:
        """True when a scorer rule for ``language`` is in force (so the text must be analysed)."""
        return any(rule.scorer and rule.language == language for rule in self.rules)


@dataclass(frozen=True)
class Flag:
    """One thing the check found: where, which rule, how bad, why, and a warmer way to say it."""

    rule_id: str
    severity: str
    reads_like: str
    matched: str
    line: int
    why: str
    suggestion: str
    subject: str | None = None  # the template id, when a template was checked

    @property
    def blocking(self) -> bool:
        """True when the planner will not use words with this flag."""
        return self.severity == BLOCKING


def team_lexicon_path(explicit: Path | None = None) -> Path | None:
    """The team lexicon: ``explicit``, else ``$DELIGHT_LEXICON``, else ./delight-lexicon.toml or ./delight-lexicon/."""
    if explicit is not None:
        return explicit
    if os.environ.get(TEAM_LEXICON_ENV):
        return Path(os.environ[TEAM_LEXICON_ENV])
    for candidate in (Path(TEAM_LEXICON_FILE), Path(TEAM_LEXICON_DIR)):
        if candidate.exists():
            return candidate
    return None


def load_lexicon(team: Path | None = None) -> Lexicon:
    """The shipped lexicon plus the team's file or folder of ``*.toml`` (``team_lexicon_path`` finds it)."""
    sources = shipped_sources("lexicon", "lexicon")
    path = team_lexicon_path(team)
    if path is not None:
        sources += [(str(file), read_utf8(file, "lexicon", LexiconError)) for file in _toml_files(path)]
    rules: dict[str, ToneRule] = {}
    for source, text in sources:
        for rule in _parse(source, text):
            rules.pop(rule.id, None)  # a later file replaces a rule with the same id
            rules[rule.id] = rule
    return Lexicon(tuple(r for r in rules.values() if r.severity != OFF), tuple(source for source, _ in sources))


def _toml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    if path.is_file():
        return [path]
    raise LexiconError(f"lexicon {path} does not exist: give a .toml file or a folder of them")


def _parse(source: str, text: str) -> list[ToneRule]:
    data = parse_toml(source, text, LexiconError)
    unknown = set(data) - {"rule"}
    if unknown:
        raise LexiconError(f'{source}: unknown top-level key "{sorted(unknown)[0]}"; write each rule as [[rule]]')
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise LexiconError(f"{source}: write each rule as [[rule]]")
    return parse_entries(source, entries, _parse_rule, "rule", LexiconError)


def _parse_rule(source: str, number: int, entry: object) -> ToneRule:
    if not isinstance(entry, dict):
        raise LexiconError(f"{source}: rule #{number} must be a table; write it as [[rule]]")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise LexiconError(f'{source}: rule #{number} needs an id, e.g. id = "ko-received"')
    where = f'{source}: rule "{rule_id}"'
    for key, value in entry.items():
        if key not in _RULE_KEYS:
            raise LexiconError(f'{where}: unknown key "{key}" (use {", ".join(_RULE_KEYS)})')
        if not isinstance(value, str):
            raise LexiconError(f'{where}: {key} must be a quoted string, e.g. {key} = "..."')
    severity = entry.get("severity", WARNING)
    if severity not in SEVERITIES:
        raise LexiconError(f'{where}: severity "{severity}" must be "blocking", "warning" or "off"')
    language = entry.get("language", "any")
    if language not in LANGUAGES:
        raise LexiconError(f'{where}: language "{language}" must be "ko", "en" or "any"')
    reads_like = entry.get("reads_like", "machine")
    if reads_like not in READS_LIKE:
        raise LexiconError(f'{where}: reads_like "{reads_like}" must be one of {", ".join(READS_LIKE)}')
    phrase, regex, scorer = entry.get("phrase"), entry.get("regex"), entry.get("scorer")
    pattern = None
    if severity == OFF:
        pass  # switched off: needs no pattern
    elif scorer is not None:
        if scorer not in KINDS or language == "any" or phrase is not None or regex is not None:
            raise LexiconError(
                f'{where}: scorer = "{scorer}" flags sentences by score: give scorer = "stiff" or "advert", '
                'language = "ko" or "en", and no phrase or regex'
            )
    elif (phrase is None) == (regex is None):
        raise LexiconError(f'{where}: give exactly one of phrase = "literal words" or regex = "pattern"')
    else:
        pattern = _compile(where, regex if regex is not None else _phrase_pattern(phrase))
    for key in ("why", "suggestion"):
        if severity != OFF and not entry.get(key, "").strip():
            raise LexiconError(f'{where}: needs {key} = "..." so the flag can explain itself')
    why, suggestion = entry.get("why", ""), entry.get("suggestion", "")
    return ToneRule(rule_id, language, pattern, severity, reads_like, why, suggestion, source, scorer)


def _phrase_pattern(phrase: str) -> str:
    if not phrase.strip():
        raise LexiconError("a phrase cannot be empty")
    # Literal words; any run of spaces in the text matches any run of spaces in the phrase.
    return r"\s+".join(re2.escape(word) for word in phrase.split())


def _compile(where: str, regex: str) -> re2._Regexp:
    if not regex:
        raise LexiconError(f"{where}: regex cannot be empty")
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    try:
        return re2.compile(regex, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise LexiconError(
            f'{where}: regex "{regex}" does not compile: {reason} (patterns run on RE2, in time linear in the '
            "text: no lookahead, lookbehind or backreferences)"
        ) from None


def check_text(
    text: str,
    lexicon: Lexicon,
    *,
    language: str | None = None,
    subject: str | None = None,
    expect_personal: bool = True,
    analysis: tuple[Sentence, ...] | None = None,
) -> list[Flag]:
    """Every flag for ``text``: lexicon matches (rules for ``language`` and ``any``; all rules when
    the language is not known), each sentence the analyser scores high (in ``language``, else the
    language the text is written in; ``analysis`` when it was already analysed), then a warning
    when nothing in it is about the person."""
    flags = []
    for rule in lexicon.rules:
        if rule.pattern is None or (language is not None and rule.language not in (language, "any")):
            continue
        for match in rule.pattern.finditer(text):
            if not match.group(0):
                continue
            flags.append(
                Flag(
                    rule.id,
                    rule.severity,
                    rule.reads_like,
                    match.group(0),
                    text.count("\n", 0, match.start()) + 1,
                    rule.why,
                    rule.suggestion,
                    subject,
                )
            )
    written_in = language or language_of(text)
    if text.strip() and lexicon.analyses(written_in):
        scorers = [rule for rule in lexicon.rules if rule.scorer and rule.language == written_in]
        sentences = analysis if analysis is not None else analyse(text, written_in)
        flags += [flag for sentence in sentences for flag in _score_flags(sentence, scorers, subject)]
    if expect_personal and text.strip() and not has_personal_detail(text):
        flags.append(
            Flag(
                NO_PERSONAL_DETAIL,
                WARNING,
                "form letter",
                "",
                1,
                "nothing in it is about this person: no name, no item, no occasion",
                "add {first_name}, {last_item} or {occasion}, or a detail only they would recognise",
                subject,
            )
        )
    return sorted(flags, key=lambda f: (f.line, f.severity != BLOCKING, f.rule_id))


def _score_flags(sentence: Sentence, scorers: list[ToneRule], subject: str | None) -> list[Flag]:
    """A flag from each scorer rule whose score for the sentence reaches WARN_AT (BLOCK_AT blocks, if it may)."""
    flags = []
    for rule in scorers:
        assert rule.scorer is not None  # only scorer rules are passed
        points = score(sentence, rule.scorer)
        if points < WARN_AT:
            continue
        severity = BLOCKING if points >= BLOCK_AT and rule.severity == BLOCKING else WARNING
        why, instead = reasons(sentence, rule.scorer)
        quoted = sentence.text if len(sentence.text) <= _LONGEST_QUOTE else sentence.text[: _LONGEST_QUOTE - 1] + "…"
        flags.append(
            Flag(
                rule.id,
                severity,
                rule.reads_like,
                quoted,
                sentence.line,
                f"{rule.why} Score {points:g} from: {why}.",
                instead or rule.suggestion,
                subject,
            )
        )
    return flags


def has_personal_detail(text: str) -> bool:
    """True when the text has a placeholder, or greets someone by name ("민지님", "Hi Sam")."""
    return bool(_PLACEHOLDER.search(text) or _NAMED_GREETING.search(text))


def describe_flags(flags: Iterable[Flag], checked: int) -> list[str]:
    """The report as lines: one per flag (with why and a suggestion), a summary, and the honest note."""
    flags = list(flags)
    lines = []
    for flag in flags:
        where = f"{flag.subject}: " if flag.subject else f"line {flag.line}: " if checked == 1 else ""
        found = f' "{flag.matched}"' if flag.matched else ""
        lines.append(f"{flag.severity.upper()} [{flag.rule_id}] {where}{READS_LIKE[flag.reads_like]}{found}")
        lines.append(f"    why: {flag.why}")
        lines.append(f"    try: {flag.suggestion}")
    blocking = sum(1 for f in flags if f.blocking)
    what = "text" if checked == 1 else f"{checked} texts"
    if flags:
        lines.append(f"Checked {what}: {blocking} blocking, {len(flags) - blocking} warnings.")
    else:
        lines.append(f"Checked {what}: no flags.")
    lines.append(NOTE)
    return lines


@dataclass(frozen=True)
class ToneReport:
    """What `delight tone check` found, over how many texts."""

    flags: list[Flag]
    checked: int

    @property
    def blocking(self) -> bool:
        """True when anything is flagged as blocking (the command exits 1)."""
        return any(flag.blocking for flag in self.flags)

    def lines(self) -> list[str]:
        """The report as lines to print."""
        return describe_flags(self.flags, self.checked)


def check(
    text: str | None = None,
    *,
    file: Path | None = None,
    templates: bool = False,
    templates_dir: Path | None = None,
    lexicon_path: Path | None = None,
    language: str | None = None,
) -> ToneReport:
    """`delight tone check`: a text, a file's text, or every template (shipped and the team's)."""
    lexicon = load_lexicon(lexicon_path)
    if file is not None:
        text = read_utf8(file, "file", InputError)
    if not templates:
        return ToneReport(check_text(text or "", lexicon, language=language), 1)
    from planner.words.templates import read_templates, tone_flags  # templates import this module

    library = read_templates(templates_dir)
    chosen = [t for t in library.templates if language in (None, t.language)]
    flags = [flag for flag in tone_flags(library, lexicon) if flag.subject in {t.id for t in chosen}]
    return ToneReport(flags, len(chosen))
