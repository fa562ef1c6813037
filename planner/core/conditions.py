"""Rule conditions (``when``) compiled to polars expressions over the facts frame.

rule-engine parses and type-checks a condition against the facts' types; this module walks its
tree (one branch per node class, never ``eval`` and never ``getattr`` on names from the file)
and builds one polars expression that is true or false for every customer of a frame made by
``planner.core.facts_frame``. The semantics are the ones ``default_rules.toml`` documents:

* A comparison (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``=~`` ...) with a missing
  fact on either side is false; only ``x == null`` and ``x != null`` test for a missing fact.
  ``not`` flips true and false, so ``not (days_since_last_order <= 14)`` is true without orders.
* Arithmetic with a missing value gives a missing value; so does a division by zero.
* Numbers are exact decimals, as rule-engine's are. ``+ - * // %`` and ``-x`` run in polars on
  whole numbers scaled by a power of ten (money facts are minor units, so 12.50 USD is 1250 at
  scale 2), exact for every result of up to 28 digits: exactly where rule-engine's decimals
  (28 significant digits) are exact too. ``a / b`` compared with a number written in the
  condition runs in polars as ``a`` against that number times ``b``. Other uses of ``/``, and
  arithmetic whose result could need more digits, run with Python's decimals (as rule-engine
  does) customer by customer: the same answers, about a second per 200,000 customers.
* ``=~`` matches at the start of the text, ``=~~`` anywhere (``!~``, ``!~~``: does not match).
  Patterns run on polars' regular expressions (Rust's ``regex``), which take linear time: a
  pattern with look-arounds or back-references is refused when the rules are loaded.

Rule-engine is imported when the first condition is compiled: building its parser takes about
half a second, which commands that never compile a condition should not pay.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from planner.core.errors import RulesError
from planner.core.facts import FACTS, FACTS_BY_NAME, FactType
from planner.core.money import exponent

NUMBER, TEXT, BOOL, DATE, NULL = "number", "text", "true/false", "date", "null"
_LIST = "list of "  # list kinds are "list of text", "list of number", ...; "list of ?" is []

_FACT_KINDS = {
    FactType.INT: NUMBER,
    FactType.MONEY: NUMBER,
    FactType.DATE: DATE,
    FactType.TEXT: TEXT,
    FactType.BOOL: BOOL,
    FactType.TEXT_LIST: _LIST + TEXT,
}

EXACT_DIGITS = 28  # rule-engine's decimals keep 28 significant digits
_EXACT = 10**EXACT_DIGITS  # a scaled result below this is exact in both
_INT128 = 2**127  # the largest scaled integer polars holds, for comparisons
_FACT_BOUND = 2**63  # facts are Int64
_DECIMAL = decimal.Context(prec=EXACT_DIGITS)
_WHOLE = decimal.Context(prec=decimal.MAX_PREC)  # for moving a decimal point without rounding

_ORDERED = {"lt": ("<", operator.lt), "le": ("<=", operator.le), "gt": (">", operator.gt), "ge": (">=", operator.ge)}
_EQUALITY = {"eq": ("==", operator.eq), "ne": ("!=", operator.ne)}
_ARITHMETIC: dict[str, tuple[str, Callable[[Any, Any], Any]]] = {
    "add": ("+", _DECIMAL.add),
    "sub": ("-", _DECIMAL.subtract),
    "mul": ("*", _DECIMAL.multiply),
    "tdiv": ("/", _DECIMAL.divide),
    "fdiv": ("//", _DECIMAL.divide_int),
    "mod": ("%", _DECIMAL.remainder),
}

_UNSUPPORTED_LABELS = {
    "TernaryExpression": "the ?: operator",
    "CoalesceExpression": "the ?? operator",
    "BitwiseExpression": "bitwise operators (&, |, ^)",
    "BitwiseShiftExpression": "bit shifts (<<, >>)",
    "ComprehensionExpression": "list comprehensions",
    "FunctionCallExpression": "function calls",
    "GetItemExpression": "indexing ([...])",
    "GetSliceExpression": "slices ([a:b])",
    "TimedeltaExpression": 'time-span literals (t"...")',
    "BytesExpression": "bytes literals",
    "MappingExpression": "mapping literals ({key: value})",
    "FunctionExpression": "functions",
}


@dataclass(frozen=True)
class Condition:
    """A compiled ``when``: ``expression`` is true or false (never null) for every row of a facts frame."""

    expression: pl.Expr
    facts_used: tuple[str, ...]  # in order of first use


def compile_condition(rule_name: str, when: str, currency: str) -> Condition:
    """Parse, type-check and compile one ``when`` for a facts frame whose money is in ``currency``.

    Raises RulesError naming the rule and the fix.
    """
    engine = _rule_engine()
    where = f'rule "{rule_name}"'
    if not when.strip():
        raise RulesError(f'{where}: when is empty; write a condition, e.g. when = "orders_count == 1"')
    _screen(where, when)
    try:
        parsed = engine.Rule(when, context=_typed_context())
    except engine.errors.RuleSyntaxError as error:
        raise RulesError(f"{where}: {_describe_syntax_error(error)}") from None
    except engine.errors.SymbolResolutionError as error:
        raise _unknown_symbol(where, error.symbol_name, error.symbol_scope) from None
    except engine.errors.EngineError as error:
        # rule-engine says only "data type mismatch"; our own checks on an untyped parse say where.
        try:
            untyped = engine.Rule(when, context=engine.Context(default_timezone="utc"))
        except engine.errors.EngineError:
            raise RulesError(f"{where}: {error.message} in when") from None
        _Compiler(where, exponent(currency)).predicate(untyped.statement.expression)
        raise RulesError(f"{where}: {error.message} in when") from None
    compiler = _Compiler(where, exponent(currency))
    expression = compiler.predicate(parsed.statement.expression)
    return Condition(expression, tuple(dict.fromkeys(compiler.symbols)))


@functools.lru_cache(maxsize=256)
def compiled(rule_name: str, when: str, currency: str) -> Condition:
    """``compile_condition``, once per condition and currency in a process."""
    return compile_condition(rule_name, when, currency)


def holds(condition: Condition, facts: Mapping[str, object], currency: str) -> bool:
    """Whether ``condition`` is true for one customer's facts (money as Decimal in ``currency``)."""
    from planner.core.facts_frame import frame_of_facts

    return bool(frame_of_facts([facts], currency).select(condition.expression).item())


def matches(frame: pl.DataFrame, conditions: Mapping[str, Condition]) -> pl.DataFrame:
    """One true/false column per condition (named by its key), for every row of ``frame``."""
    return frame.select(**{name: condition.expression for name, condition in conditions.items()})


@functools.cache
def _rule_engine() -> Any:
    import rule_engine

    return rule_engine


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

    return lex.lex(module=_rule_engine().Rule.parser)


# Bounds on a condition, far beyond any rule a person writes: what is parsed, folded and compiled
# stays small and quick (a deeper one would exhaust Python's stack, a huge number take minutes).
MAX_WHEN_CHARACTERS = 2_000
MAX_NESTING = 30
MAX_OPERATORS = 100
MAX_NUMBER = decimal.Decimal(10) ** 15
_OPEN, _CLOSE = ("LPAREN", "LBRACKET", "LBRACE"), ("RPAREN", "RBRACKET", "RBRACE")
_OPERANDS = ("FLOAT", "STRING", "SYMBOL", "DATETIME", "BYTES", "TIMEDELTA", "TRUE", "FALSE", "NULL", "COMMENT")
_REGEX_OPERATORS = ("EQ_FZM", "EQ_FZS", "NE_FZM", "NE_FZS")


def _screen(where: str, when: str) -> None:
    """Refuse, before rule-engine parses it, a condition too big or deep to parse safely, a number
    beyond ``MAX_NUMBER``, and what rule-engine would work out while parsing: a regular expression
    matched against fixed text (it folds constants), powers and time spans. Other mistakes are
    left to the parser, which names them."""
    if len(when) > MAX_WHEN_CHARACTERS:
        raise RulesError(f"{where}: when is {len(when):,} characters long; keep it under {MAX_WHEN_CHARACTERS:,}")
    try:
        found = list(tokens(when))
    except _rule_engine().errors.RuleSyntaxError:
        return
    depth = operators = 0
    for position, (kind, value) in enumerate(found):
        if kind in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise RulesError(f"{where}: when nests brackets more than {MAX_NESTING} deep; write it flatter")
        elif kind in _CLOSE:
            depth -= 1
        elif kind not in _OPERANDS and kind != "COMMA":
            operators += 1
            if operators > MAX_OPERATORS:
                raise RulesError(f"{where}: when has more than {MAX_OPERATORS} operators; split it into rules")
        if kind == "FLOAT" and _number(value).copy_abs() > MAX_NUMBER:
            raise RulesError(f"{where}: {value} is out of range: numbers in when go up to {MAX_NUMBER:,.0f}")
        if kind == "POW":
            raise RulesError(f"{where}: the ** operator cannot be used in when")
        if kind in ("TIMEDELTA", "BYTES"):
            raise RulesError(f"{where}: {_UNSUPPORTED_LABELS[kind.title() + 'Expression']} cannot be used in when")
        if kind in _REGEX_OPERATORS:
            before = found[position - 1][0] if position else None
            after = found[position + 1][0] if position + 1 < len(found) else None
            if before != "SYMBOL" or after != "STRING":
                raise RulesError(
                    f"{where}: {value} needs a fact on its left and a quoted regular expression on its right, "
                    f'e.g. rfm_segment {value} "^Champ"'
                )


def _number(literal: str) -> decimal.Decimal:
    """A number as rule-engine reads it: decimal, or 0x/0o/0b whole numbers."""
    if literal[:2].lower() in ("0x", "0o", "0b"):
        return decimal.Decimal(int(literal, 0))
    return decimal.Decimal(literal)


@functools.cache
def _typed_context() -> Any:
    """Facts as plain (non-nullable) types: missing facts are this module's to handle."""
    engine = _rule_engine()
    types = engine.DataType
    by_type = {
        FactType.INT: types.FLOAT,
        FactType.MONEY: types.FLOAT,
        FactType.DATE: types.DATETIME,
        FactType.TEXT: types.STRING,
        FactType.BOOL: types.BOOLEAN,
        FactType.TEXT_LIST: types.ARRAY(types.STRING),
    }
    resolved = {fact.name: by_type[fact.type] for fact in FACTS}
    return engine.Context(
        type_resolver=engine.type_resolver_from_dict(resolved), resolver=engine.resolve_item, default_timezone="utc"
    )


def _describe_syntax_error(error: Any) -> str:
    detail = error.message.split(" at:")[0]
    token = error.token
    if token is None:
        return f"{detail} in when: the condition ends too early"
    return f'{detail} in when at column {token.lexpos + 1} (near "{token.value}")'


def _unknown_symbol(where: str, name: str, scope: str | None) -> RulesError:
    if scope is not None:
        return RulesError(f'{where}: built-in symbol "${name}" is not supported; use the facts (see delight facts)')
    close = difflib.get_close_matches(name, list(FACTS_BY_NAME), n=1)
    suggestion = f' (did you mean "{close[0]}"?)' if close else " (see delight facts)"
    return RulesError(f'{where}: unknown fact "{name}"{suggestion}')


# --- Values -------------------------------------------------------------------------------------

Row = Mapping[str, Any]  # one customer's inputs, as the decimal path reads them
Decimal = Callable[[Row], decimal.Decimal | None]  # a number worked out from one customer's inputs
_NOT_CONSTANT = object()


@dataclass(frozen=True)
class _Value:
    """A compiled sub-expression: its kind and polars expression, or its value when constant.

    A number is ``expression / 10**scale`` with ``|expression| <= bound``, exact in polars; or,
    when ``expression`` is None, worked out customer by customer by ``decimal`` from the values of
    ``inputs`` (named polars expressions).
    """

    kind: str
    expression: pl.Expr | None
    constant: Any = _NOT_CONSTANT
    symbol: str | None = None
    scale: int = 0
    bound: int = 0
    decimal: Decimal | None = None
    inputs: Mapping[str, pl.Expr] = field(default_factory=dict)
    quotient: tuple[_Value, _Value] | None = None  # (a, b) of ``a / b``, both worked out in polars

    @property
    def is_constant(self) -> bool:
        return self.constant is not _NOT_CONSTANT

    @property
    def native(self) -> bool:
        return self.expression is not None

    def describe(self) -> str:
        if self.symbol is not None:
            return f"{self.symbol} ({self.kind})"
        if self.is_constant:
            return f"{_show_constant(self.constant)} ({self.kind})"
        return f"a {self.kind} expression"


def _show_constant(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, datetime.date):
        return f'd"{value.isoformat()}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_show_constant(item) for item in value) + "]"
    return str(value)


def _constant(kind: str, value: object) -> _Value:
    if kind == NUMBER:
        return _number_constant(value)  # type: ignore[arg-type]
    if kind.startswith(_LIST):  # compared with a fact only as a list of text (last_order_items)
        if kind not in (_LIST + TEXT, _LIST + "?"):
            return _Value(kind, None, constant=value)
        texts = pl.lit(pl.Series([list(value)], dtype=pl.List(pl.String)))  # type: ignore[call-overload]
        return _Value(kind, texts, constant=value)
    return _Value(kind, pl.lit(value), constant=value)


_ITEM_TYPES = {TEXT: pl.String, DATE: pl.Date, BOOL: pl.Boolean}


def _number_constant(value: decimal.Decimal | int) -> _Value:
    """A number written in the condition (a whole one as an int, as people wrote it)."""
    number = decimal.Decimal(value)
    constant = int(number) if number == number.to_integral_value() else number
    scale = max(0, -int(number.as_tuple().exponent))
    scaled = int(number.scaleb(scale, _WHOLE))
    if abs(scaled) >= _INT128:  # too long for polars: the decimal path only
        return _Value(NUMBER, None, constant=constant)
    return _Value(NUMBER, pl.lit(scaled, dtype=pl.Int128), constant=constant, scale=scale, bound=abs(scaled))


def _rescaled(value: _Value, scale: int) -> pl.Expr:
    assert value.expression is not None
    if scale == value.scale:
        return value.expression
    return value.expression * pl.lit(10 ** (scale - value.scale), dtype=pl.Int128)


def _implode(values: list, dtype: pl.DataType) -> pl.Expr:
    """A list of values, for ``is_in``."""
    return pl.lit(pl.Series(values, dtype=dtype)).implode()


def _is_true(expression: pl.Expr) -> pl.Expr:
    """True where ``expression`` is true; false where it is false or missing."""
    return expression.fill_null(False)


# --- The compiler --------------------------------------------------------------------------------


class _Compiler:
    """Compiles rule-engine's tree into polars expressions, checking types as the rules language defines them."""

    def __init__(self, where: str, money_places: int) -> None:
        self.where = where
        self.money_places = money_places
        self.symbols: list[str] = []
        self.ast = _rule_engine().ast
        self.names: dict[int, str] = {}  # inputs of the decimal path, by the id of their value
        self.values: list[_Value] = []

    def fail(self, message: str) -> RulesError:
        return RulesError(f"{self.where}: {message}")

    def unsupported(self, node: object) -> RulesError:
        name = type(node).__name__
        return self.fail(f"{_UNSUPPORTED_LABELS.get(name, name)} cannot be used in when")

    # -- true/false expressions --------------------------------------------------------------------

    def predicate(self, node: object) -> pl.Expr:
        """An expression true or false (never null) for every customer."""
        ast = self.ast
        if isinstance(node, ast.LogicExpression):
            left, right = self.predicate(node.left), self.predicate(node.right)
            return left & right if node.type == "and" else left | right
        if isinstance(node, ast.UnaryExpression) and node.type == "not":
            return ~self.predicate(node.right)
        if isinstance(node, ast.FuzzyComparisonExpression):
            return self.regex(node)
        if isinstance(node, ast.ArithmeticComparisonExpression):
            return self.ordered(node)
        if isinstance(node, ast.ComparisonExpression):
            return self.equality(node)
        if isinstance(node, ast.ContainsExpression):
            return self.contains(node)
        value = self.value(node)
        if value.kind != BOOL:
            raise self.fail(f"{value.describe()} is not a true/false condition; compare it, e.g. with > or ==")
        if value.is_constant:
            return pl.repeat(bool(value.constant), pl.len())
        assert value.expression is not None
        return _is_true(value.expression)

    def equality(self, node: Any) -> pl.Expr:
        symbol, compare = _EQUALITY[node.type]
        left, right = self.value(node.left), self.value(node.right)
        if NULL in (left.kind, right.kind):
            other = left if right.kind == NULL else right
            missing = self.missing(other)
            return missing if node.type == "eq" else ~missing
        self.check_same_kind(left, right, symbol)
        return self.compare(compare, left, right)

    def ordered(self, node: Any) -> pl.Expr:
        symbol, compare = _ORDERED[node.type]
        left, right = self.value(node.left), self.value(node.right)
        if NULL in (left.kind, right.kind):
            raise self.fail(f'null can only be compared with == or !=, not "{symbol}"')
        self.check_same_kind(left, right, symbol)
        if left.kind not in (NUMBER, TEXT, DATE):
            raise self.fail(f'"{symbol}" cannot order {left.kind} values; use == or !=')
        return self.compare(compare, left, right)

    def compare(self, compare: Callable[[Any, Any], bool], left: _Value, right: _Value) -> pl.Expr:
        """``compare`` on both sides, false where either is missing."""
        if left.is_constant and right.is_constant:
            return pl.repeat(
                None not in (left.constant, right.constant) and compare(left.constant, right.constant), pl.len()
            )
        if left.kind == NUMBER:
            scale = max(left.scale, right.scale)
            aligned = [value.bound * 10 ** (scale - value.scale) for value in (left, right)]
            if not (left.native and right.native and max(aligned) < _INT128):
                exact = _quotient_compared(compare, left, right)
                if exact is not None:
                    return exact
                return self.per_customer((left, right), lambda a, b: a is not None and b is not None and compare(a, b))
            return _is_true(compare(_rescaled(left, scale), _rescaled(right, scale)))
        assert left.expression is not None and right.expression is not None
        return _is_true(compare(left.expression, right.expression))

    def missing(self, value: _Value) -> pl.Expr:
        """True where ``value`` is missing."""
        if value.is_constant:
            return pl.repeat(value.constant is None, pl.len())
        if value.native:
            assert value.expression is not None
            return value.expression.is_null()
        return self.per_customer((value,), lambda a: a is None)

    def contains(self, node: Any) -> pl.Expr:
        member, container = self.value(node.member), self.value(node.container)
        if container.kind == TEXT:
            expected = TEXT
        elif container.kind.startswith(_LIST):
            expected = container.kind.removeprefix(_LIST)
        else:
            raise self.fail(f'"in" needs a list or text on its right, not {container.describe()}')
        if member.kind == NULL:
            raise self.fail('"in" cannot look for null; use == null')
        if expected not in ("?", member.kind):
            raise self.fail(f'"in" looks for {member.describe()} among {expected} values')
        if member.is_constant and container.is_constant:
            return pl.repeat(member.constant in container.constant, pl.len())
        if container.kind == TEXT:
            assert member.expression is not None and container.expression is not None
            return _is_true(container.expression.str.contains(member.expression, literal=True))
        if not container.is_constant:  # the one list fact: last_order_items
            assert member.expression is not None and container.expression is not None
            return _is_true(container.expression.list.contains(member.expression))
        items = container.constant
        if member.kind == NUMBER:
            return self.among_numbers(member, items)
        if member.kind.startswith(_LIST):  # a list among lists: equal to one of them
            equal = [self.compare(operator.eq, member, _constant(member.kind, item)) for item in items]
            return pl.any_horizontal(equal) if equal else pl.repeat(False, pl.len())
        assert member.expression is not None
        return _is_true(member.expression.is_in(_implode(list(items), _ITEM_TYPES[member.kind])))

    def among_numbers(self, member: _Value, items: Sequence[decimal.Decimal]) -> pl.Expr:
        if not member.native:
            values = frozenset(items)
            return self.per_customer((member,), lambda a: a is not None and a in values)
        assert member.expression is not None
        # Only values with no more decimals than the member, and no larger than it can be, can equal it.
        scaled = [decimal.Decimal(item).scaleb(member.scale, _WHOLE) for item in items]
        possible = [int(item) for item in scaled if item == item.to_integral_value() and abs(item) <= member.bound]
        return _is_true(member.expression.is_in(_implode(possible, pl.Int128)))

    def regex(self, node: Any) -> pl.Expr:
        left, right = self.value(node.left), self.value(node.right)
        if left.kind != TEXT or right.kind != TEXT or not right.is_constant:
            raise self.fail("=~ and !~ need text on the left and a quoted regular expression on the right")
        pattern: str = right.constant
        anchored = f"^(?:{pattern})" if node.type.endswith("fzm") else pattern  # =~ matches at the start
        try:
            pl.select(pl.lit("").str.contains(anchored))
        except pl.exceptions.ComputeError:
            raise self.fail(
                f'regular expression "{pattern}" cannot be used: it is not one, or it needs look-arounds or '
                "back-references, which patterns here do without (they take linear time)"
            ) from None
        assert left.expression is not None
        found = left.expression.str.contains(anchored)
        return _is_true(found if node.type.startswith("eq") else ~found)

    def check_same_kind(self, left: _Value, right: _Value, symbol: str) -> None:
        if left.kind == right.kind:
            return
        if left.kind.startswith(_LIST) and right.kind.startswith(_LIST) and "?" in left.kind + right.kind:
            return
        raise self.fail(f'cannot compare {left.describe()} with {right.describe()} using "{symbol}"')

    def per_customer(self, values: Sequence[_Value], test: Callable[..., bool]) -> pl.Expr:
        """``test`` on the values as decimals, customer by customer: the exact path for what polars'
        whole numbers cannot hold (``/``, and results of more than 28 digits)."""
        work = [self.decimal(value) for value in values]
        inputs = {name: expression for value in values for name, expression in self.inputs_of(value).items()}

        def run(row: Row) -> bool:
            return test(*(function(row) for function in work))

        if not inputs:
            return pl.repeat(run({}), pl.len())
        return pl.struct(**inputs).map_batches(
            lambda rows: pl.Series([run(row) for row in rows.to_list()], dtype=pl.Boolean),
            return_dtype=pl.Boolean,
            is_elementwise=True,
        )

    def decimal(self, value: _Value) -> Decimal:
        """How to work ``value`` out as a decimal from one customer's inputs (``inputs_of``)."""
        if value.is_constant:
            number = value.constant
            return lambda _row: number
        if value.decimal is not None:
            return value.decimal
        name, scale = self.input_name(value), value.scale

        def read(row: Row) -> decimal.Decimal | None:
            found = row[name]
            return None if found is None else decimal.Decimal(found).scaleb(-scale, _WHOLE)

        return read

    def inputs_of(self, value: _Value) -> Mapping[str, pl.Expr]:
        if value.is_constant:
            return {}
        if value.decimal is not None:
            return value.inputs
        assert value.expression is not None
        return {self.input_name(value): value.expression}

    def input_name(self, value: _Value) -> str:
        """The name under which the decimal path reads a value polars works out."""
        if id(value) not in self.names:
            self.values.append(value)  # kept alive, so no other value takes its id
            self.names[id(value)] = f"input_{len(self.names)}"
        return self.names[id(value)]

    # -- values ------------------------------------------------------------------------------------

    def value(self, node: object) -> _Value:
        """The node's value for every customer (null when missing), with its kind."""
        ast = self.ast
        if isinstance(node, ast.SymbolExpression):
            return self.symbol(node)
        if isinstance(
            node, ast.LogicExpression | ast.ComparisonExpression | ast.ContainsExpression | ast.UnaryExpression
        ) and not (isinstance(node, ast.UnaryExpression) and node.type == "uminus"):
            return _Value(BOOL, self.predicate(node))
        if isinstance(node, ast.FloatExpression):
            number: decimal.Decimal = node.value
            if not number.is_finite():
                raise self.fail(f"numbers must be finite, not {number}")
            return _number_constant(number)
        if isinstance(node, ast.StringExpression):
            return _constant(TEXT, node.value)
        if isinstance(node, ast.BooleanExpression):
            return _constant(BOOL, node.value)
        if isinstance(node, ast.NullExpression):
            return _Value(NULL, None, constant=None)
        if isinstance(node, ast.DatetimeExpression):
            return self.date_literal(node.value)
        if isinstance(node, ast.ArrayExpression | ast.SetExpression):
            return self.list_literal(node)
        if isinstance(node, ast.UnaryExpression):  # uminus
            operand = self.value(node.right)
            if operand.kind != NUMBER:
                raise self.fail(f"unary minus needs a number, not {operand.describe()}")
            return self.negated(operand)
        if isinstance(node, ast.AddExpression | ast.SubtractExpression | ast.ArithmeticExpression):
            return self.arithmetic(node)
        if isinstance(node, ast.GetAttributeExpression):
            return self.attribute(node)
        raise self.unsupported(node)

    def symbol(self, node: Any) -> _Value:
        if node.scope is not None or node.name not in FACTS_BY_NAME:
            raise _unknown_symbol(self.where, node.name, node.scope)
        name: str = node.name
        self.symbols.append(name)
        fact = FACTS_BY_NAME[name]
        kind = _FACT_KINDS[fact.type]
        if kind != NUMBER:
            return _Value(kind, pl.col(name), symbol=name)
        scale = self.money_places if fact.type == FactType.MONEY else 0
        return _Value(NUMBER, pl.col(name).cast(pl.Int128), symbol=name, scale=scale, bound=_FACT_BOUND)

    def date_literal(self, value: datetime.datetime) -> _Value:
        if value.time() != datetime.time(0) or value.utcoffset() != datetime.timedelta(0):
            raise self.fail(f'date facts have no time of day; write the date alone, e.g. d"{value.date()}"')
        return _constant(DATE, value.date())

    def list_literal(self, node: Any) -> _Value:
        items = [self.value(member) for member in node.value]
        if not all(item.is_constant for item in items):
            raise self.fail("a [list] in when may only hold fixed values, not facts")
        kinds = {item.kind for item in items}
        if NULL in kinds:
            raise self.fail("a [list] cannot hold null; use == null")
        if len(kinds) > 1:
            raise self.fail(f"a [list] must hold values of one type, not {' and '.join(sorted(kinds))}")
        return _constant(_LIST + (kinds.pop() if kinds else "?"), tuple(item.constant for item in items))

    def negated(self, operand: _Value) -> _Value:
        if operand.native and operand.bound < _EXACT:
            assert operand.expression is not None
            negative = pl.lit(0, dtype=pl.Int128) - operand.expression
            return _Value(NUMBER, negative, scale=operand.scale, bound=operand.bound)
        work = self.decimal(operand)

        def negate(row: Row) -> decimal.Decimal | None:
            found = work(row)
            return None if found is None else _DECIMAL.minus(found)

        return _Value(NUMBER, None, decimal=negate, inputs=self.inputs_of(operand))

    def arithmetic(self, node: Any) -> _Value:
        if node.type not in _ARITHMETIC:
            raise self.fail("the ** operator cannot be used in when")
        symbol, function = _ARITHMETIC[node.type]
        left, right = self.value(node.left), self.value(node.right)
        kinds = (left.kind, right.kind)
        if kinds == (TEXT, TEXT) and symbol == "+":
            assert left.expression is not None and right.expression is not None
            return _Value(TEXT, pl.concat_str(left.expression, right.expression))
        if kinds != (NUMBER, NUMBER):
            if DATE in kinds:
                raise self.fail("there is no date arithmetic in when; use the days_since_* and days_until_* facts")
            raise self.fail(f'"{symbol}" cannot combine {left.describe()} and {right.describe()}')
        if left.native and right.native:
            native = _native_arithmetic(node.type, left, right)
            if native is not None:
                expression, scale, bound = native
                return _Value(NUMBER, expression, scale=scale, bound=bound)
        work_left, work_right = self.decimal(left), self.decimal(right)

        def apply(row: Row) -> decimal.Decimal | None:
            a, b = work_left(row), work_right(row)
            if a is None or b is None:
                return None
            try:
                return function(a, b)
            except ArithmeticError:  # division by zero: no value, so comparisons with it are false
                return None

        inputs = {**self.inputs_of(left), **self.inputs_of(right)}
        quotient = (left, right) if node.type == "tdiv" and left.native and right.native else None
        return _Value(NUMBER, None, decimal=apply, inputs=inputs, quotient=quotient)

    def attribute(self, node: Any) -> _Value:
        target = self.value(node.object)
        if node.name != "length" or not (target.kind == TEXT or target.kind.startswith(_LIST)):
            raise self.fail(f'attribute ".{node.name}" is not supported; only text and lists have .length')
        if target.is_constant:
            return _number_constant(len(target.constant))
        assert target.expression is not None
        length = target.expression.str.len_chars() if target.kind == TEXT else target.expression.list.len()
        return _Value(NUMBER, length.cast(pl.Int128), bound=_FACT_BOUND)


_MIRRORED = {
    operator.lt: operator.gt,
    operator.gt: operator.lt,
    operator.le: operator.ge,
    operator.ge: operator.le,
    operator.eq: operator.eq,
    operator.ne: operator.ne,
}


def _quotient_compared(compare: Callable[[Any, Any], Any], left: _Value, right: _Value) -> pl.Expr | None:
    """``a / b`` compared with a number written in the condition, ``c``, in polars: as ``a`` with ``c * b``
    (the other way round where ``b`` is negative; false where it is 0 or missing), or None.

    rule-engine rounds a quotient to 28 digits, which can change the answer only by rounding a
    quotient that is not ``c`` onto ``c``. Such a quotient differs from ``c`` by at least
    1 / (|b| 10**(scale of a + scale of c)), more than that rounding moves it while |b| times ``c``
    (both as written) stays below 10**26: then this is exactly rule-engine's answer.
    """
    if right.quotient is not None and left.is_constant:
        left, right, compare = right, left, _MIRRORED[compare]
    if left.quotient is None or not right.is_constant or right.expression is None:
        return None
    (a, b), c = left.quotient, right
    a_scale, c_b_scale = b.scale + c.scale, a.scale  # a / b <> c  is  a * 10**(sb + sc) <> c * b * 10**sa
    if b.bound * 10**a.scale * max(c.bound, 1) >= 10**26 or a.bound * 10**a_scale >= _INT128:
        return None
    assert a.expression is not None and b.expression is not None and c.expression is not None
    scaled_a = a.expression * pl.lit(10**a_scale, dtype=pl.Int128)
    c_times_b = c.expression * b.expression * pl.lit(10**c_b_scale, dtype=pl.Int128)
    positive, negative = compare(scaled_a, c_times_b), _MIRRORED[compare](scaled_a, c_times_b)
    return _is_true(pl.when(b.expression > 0).then(positive).when(b.expression < 0).then(negative))


def _native_arithmetic(operation: str, left: _Value, right: _Value) -> tuple[pl.Expr, int, int] | None:
    """``left`` and ``right`` combined in polars (expression, scale, bound), or None where a result
    could pass 28 digits, or for ``/``: there only the decimal path is exact."""
    assert left.expression is not None and right.expression is not None
    if operation == "mul":
        scale, bound = left.scale + right.scale, left.bound * right.bound
        return (left.expression * right.expression, scale, bound) if bound < _EXACT else None
    if operation not in ("add", "sub", "fdiv", "mod"):
        return None
    scale = max(left.scale, right.scale)
    a, b = _rescaled(left, scale), _rescaled(right, scale)
    bound_a, bound_b = left.bound * 10 ** (scale - left.scale), right.bound * 10 ** (scale - right.scale)
    if bound_a + bound_b >= _EXACT:
        return None
    if operation == "add":
        return a + b, scale, bound_a + bound_b
    if operation == "sub":
        return a - b, scale, bound_a + bound_b
    # Decimal's // rounds towards zero and its % takes the sign of the left side; polars floors.
    floor = a // b
    truncated = pl.when((floor < 0) & (floor * b != a)).then(floor + 1).otherwise(floor)
    if operation == "fdiv":
        return pl.when(b != 0).then(truncated), 0, bound_a
    return pl.when(b != 0).then(a - b * truncated), scale, min(bound_a, bound_b)
