"""rule-engine, started in milliseconds instead of half a second.

rule-engine parses ``when`` conditions with a PLY (LALR) parser that it builds, tables and
all, every time it is imported, and never lets PLY save them: about 0.5 s on each command
that reads a rules file, a sixth of a big shop's plan. PLY can also read tables someone
saved, from a ``parsetab`` module next to the grammar, and uses them only when their
signature matches the grammar exactly; otherwise it builds them as before.

So delight ships the tables PLY writes for the rule-engine it is tested with
(``rule_tables.json``) and offers them to PLY that way before rule-engine is imported.
Another rule-engine version with another grammar simply builds its own tables (slower, still
right), and a test says when the shipped ones no longer match. To write them again:
``python -m planner.ruleengine``.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import runpy
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TABLES = "rule_tables.json"
_PARSETAB = "rule_engine.parser.parsetab"  # where PLY looks for saved tables of rule-engine's parser


def _offer_saved_tables() -> None:
    if _PARSETAB in sys.modules:
        return
    try:
        saved = json.loads((importlib.resources.files("planner") / TABLES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # PLY builds the tables itself
    module = types.ModuleType(_PARSETAB)
    module._tabversion = saved["tabversion"]
    module._lr_method = saved["method"]
    module._lr_signature = saved["signature"]
    module._lr_action = {state: actions for state, actions in enumerate(saved["action"])}
    module._lr_goto = {state: gotos for state, gotos in enumerate(saved["goto"])}
    module._lr_productions = [tuple(production) for production in saved["productions"]]
    sys.modules[_PARSETAB] = module


_offer_saved_tables()

import rule_engine  # noqa: E402  (after the tables are offered: it builds its parser on import)
from rule_engine import ast as engine_ast  # noqa: E402
from rule_engine import errors as engine_errors  # noqa: E402

__all__ = ["engine_ast", "engine_errors", "rule_engine", "tokens", "write_tables"]


def tokens(text: str) -> Iterator[tuple[str, str]]:
    """(type, value) of each token of ``text``, by rule-engine's own lexer (its ``RuleSyntaxError``
    for an illegal character), so a condition can be looked over before it is parsed."""
    lexer = _lexer().clone()
    lexer.input(text)
    for token in iter(lexer.token, None):
        yield token.type, token.value


@functools.cache
def _lexer() -> Any:
    from rule_engine._vendor.ply import lex

    return lex.lex(module=rule_engine.Rule.parser)


def grammar_signature() -> str:
    """The signature PLY computes for the installed rule-engine's grammar."""
    from rule_engine._vendor.ply import yacc

    pinfo = yacc.ParserReflect(_grammar(), log=yacc.NullLogger())
    pinfo.get_all()
    return pinfo.signature()


def write_tables(path: Path) -> None:
    """Build the installed rule-engine's parser tables with PLY and save them as JSON at ``path``."""
    from rule_engine._vendor.ply import yacc

    with tempfile.TemporaryDirectory() as folder:
        yacc.yacc(module=_parser_without_tables(), debug=False, tabmodule="parsetab", outputdir=folder)
        written = runpy.run_path(str(Path(folder, "parsetab.py")))  # the module PLY wrote
    action, goto = written["_lr_action"], written["_lr_goto"]
    assert isinstance(action, dict) and isinstance(goto, dict)
    assert sorted(action) == list(range(len(action)))  # states are 0..n-1, so lists hold them
    saved = {
        "tabversion": written["_tabversion"],
        "method": written["_lr_method"],
        "signature": written["_lr_signature"],
        "action": [action[state] for state in range(len(action))],
        "goto": [goto.get(state, {}) for state in range(len(action))],
        "productions": written["_lr_productions"],
    }
    path.write_text(json.dumps(saved, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def _parser_without_tables() -> object:
    parser = rule_engine.parser.Parser.__new__(rule_engine.parser.Parser)
    parser.debug, parser.context = False, None
    return parser


def _grammar() -> dict[str, object]:
    """What PLY reads the grammar from, as ``yacc.yacc(module=parser)`` collects it."""
    parser = _parser_without_tables()
    grammar = {name: getattr(parser, name) for name in dir(parser)}
    grammar["__file__"] = sys.modules[type(parser).__module__].__file__
    grammar["__package__"] = sys.modules[type(parser).__module__].__package__
    return grammar


if __name__ == "__main__":
    target = Path(__file__).with_name(TABLES)
    write_tables(target)
    print(f"wrote {target} for rule-engine {rule_engine.__version__}")
