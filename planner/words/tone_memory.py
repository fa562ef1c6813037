"""Remembered tone analyses: a plan vets its templates without loading the Korean analyser.

What an analyser sees in a text depends only on the words, the language and the analyser's
version, so it is remembered under ``tone_features.analysis_key``. The verdict is not: it is
worked out from the analysis and the lexicon in force each time (cheap), so changing the
lexicon — a team rule, a severity — never needs the analyser again.

For each Korean text (English is analysed by word patterns in well under a millisecond) an
analysis is looked up, in order:

1. in the analyses shipped for the shipped templates (``tone_analyses.json``; write them again
   with ``python -m planner.words.tone_memory``, and a test says when they no longer match);
2. in the store's ``tone_analyses`` table, where earlier plans left the team's templates';

and only a text found in neither is analysed now (loading Kiwi), then written to the table in
the caller's transaction, so the next plan finds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, bindparam, text

from planner.words.tone_features import Sentence, analyse, analysis_key, from_data, to_data

SHIPPED = "tone_analyses.json"
REMEMBERED_LANGUAGES = ("ko",)

_INSERT = text(
    "INSERT INTO tone_analyses (key, language, analysis) VALUES (:key, :language, :analysis) "
    "ON CONFLICT (key) DO NOTHING"  # another plan remembered the same words first: theirs is the same
)
_SELECT = text("SELECT key, analysis FROM tone_analyses WHERE key IN :keys").bindparams(
    bindparam("keys", expanding=True)
)


@cache
def shipped() -> dict[str, list]:
    """The analyses shipped with delight, by key."""
    try:
        return json.loads((resources.files("planner.words") / SHIPPED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def remembered(
    texts: Iterable[tuple[str, str]], connection: Connection | None = None
) -> dict[tuple[str, str], tuple[Sentence, ...]]:
    """The analysis of each (text, language) whose language is remembered, analysing only what is new.

    With a ``connection``, analyses are read from and written to its ``tone_analyses`` table.
    """
    wanted = {(words, language): analysis_key(words, language) for words, language in set(texts)}
    wanted = {pair: key for pair, key in wanted.items() if pair[1] in REMEMBERED_LANGUAGES}
    found = {key: from_data(shipped()[key]) for key in wanted.values() if key in shipped()}
    missing = [key for key in wanted.values() if key not in found]
    if connection is not None and missing:
        rows = connection.execute(_SELECT, {"keys": missing})
        found.update({key: from_data(json.loads(analysis)) for key, analysis in rows})
    for (words, language), key in sorted(wanted.items()):
        if key not in found:
            found[key] = analyse(words, language)
            if connection is not None:
                content = json.dumps(to_data(found[key]), ensure_ascii=False)
                connection.execute(_INSERT, {"key": key, "language": language, "analysis": content})
    return {pair: found[key] for pair, key in wanted.items()}


def write_shipped(path: Path) -> int:
    """Analyse every shipped template and write the analyses to ``path``; returns how many."""
    from planner.words.templates import read_templates

    analyses = {
        analysis_key(t.text, t.language): to_data(analyse(t.text, t.language))
        for t in read_templates(None).templates
        if t.language in REMEMBERED_LANGUAGES and t.source.startswith("shipped ")
    }
    lines = [f"{json.dumps(key)}: {json.dumps(analyses[key], ensure_ascii=False)}" for key in sorted(analyses)]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")  # one template a line
    return len(analyses)


if __name__ == "__main__":
    written = write_shipped(Path(str(resources.files("planner.words") / SHIPPED)))
    print(f"wrote {written} analyses to planner/words/{SHIPPED}")
