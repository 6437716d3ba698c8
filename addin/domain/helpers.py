"""The types and helper functions the rule expression language knows.

Kept apart from the compiler (expr.py) so that the list of what a rule may call
reads as one table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TEXT, NUMBER, BOOL, DATETIME, DURATION = "text", "number", "bool", "datetime", "duration"
ANY = "any"
TYPE_WORDS = {TEXT: "text", NUMBER: "a number", BOOL: "true/false", DATETIME: "a date-time", DURATION: "a duration"}


class ExprError(ValueError):
    """A rule expression that does not compile; `column` is 1-based within the expression."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message if self.column is None else f"{self.message} at column {self.column}"


@dataclass(frozen=True)
class Helper:
    """A function callable from expressions.

    `params` are argument types (ANY accepts every type); `varargs` repeats the last one.
    `returns` is a type or a function of the argument types. `fold` marks pure functions
    evaluated at compile time when every argument is a constant. `literal` lists argument
    positions that must be written as constants (a regular expression, an instant).
    `inline` builds the Python source directly instead of a call (for `present`/`blank`).
    """

    fn: Callable[..., Any] | None
    params: tuple[str, ...]
    returns: str | Callable[[list[str]], str]
    varargs: bool = False
    fold: bool = False
    literal: frozenset[int] = frozenset()
    inline: Callable[[list[str]], str] | None = None
    prepare: Callable[[Any], Any] | None = None  # turns a literal argument into what fn receives


def _none_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return wrapped


def _coalesce(*args: Any) -> Any:
    for a in args:
        if a is not None:
            return a
    return None


def _same_type(types: list[str]) -> str:
    concrete = {t for t in types if t != ANY}
    if len(concrete) > 1:
        raise ExprError("arguments must all have the same type, got " + ", ".join(sorted(concrete)))
    return concrete.pop() if concrete else ANY


def _matches(text: Any, pattern: re.Pattern[str]) -> bool:
    return text is not None and pattern.fullmatch(str(text)) is not None


def _compile_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ExprError(f"bad regular expression {pattern!r}: {e}") from None


BASE_HELPERS: dict[str, Helper] = {
    "hours": Helper(lambda n: timedelta(hours=n), (NUMBER,), DURATION, fold=True),
    "minutes": Helper(lambda n: timedelta(minutes=n), (NUMBER,), DURATION, fold=True),
    "days": Helper(lambda n: timedelta(days=n), (NUMBER,), DURATION, fold=True),
    "present": Helper(None, (ANY,), BOOL, inline=lambda a: f"({a[0]} is not None)"),
    "blank": Helper(None, (ANY,), BOOL, inline=lambda a: f"({a[0]} is None)"),
    "lower": Helper(lambda s: None if s is None else s.lower(), (TEXT,), TEXT, fold=True),
    "upper": Helper(lambda s: None if s is None else s.upper(), (TEXT,), TEXT, fold=True),
    "trim": Helper(lambda s: None if s is None else s.strip(), (TEXT,), TEXT, fold=True),
    "length": Helper(lambda s: None if s is None else len(s), (TEXT,), NUMBER, fold=True),
    "abs": Helper(lambda x: None if x is None else abs(x), (NUMBER,), NUMBER, fold=True),
    "round": Helper(_none_safe(lambda x, n: round(x, int(n))), (NUMBER, NUMBER), NUMBER, fold=True),
    "min": Helper(_none_safe(min), (NUMBER, NUMBER), NUMBER, varargs=True, fold=True),
    "max": Helper(_none_safe(max), (NUMBER, NUMBER), NUMBER, varargs=True, fold=True),
    "coalesce": Helper(_coalesce, (ANY, ANY), _same_type, varargs=True, fold=True),
    "matches": Helper(_matches, (TEXT, TEXT), BOOL, literal=frozenset({1}), prepare=_compile_regex),
}

def _aware_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("give an offset or Z, e.g. 2019-01-15T00:00:00Z")
    return value


def parse_instant_literal(parse: Callable[[str], datetime] = _aware_instant) -> Helper:
    """The `instant('2019-01-15T00:00:00Z')` helper, parsed when the rule loads.

    The config loader passes a parser that reads a naive instant in the policy zone.
    """

    def prepare(text: str) -> datetime:
        try:
            return parse(text)
        except ValueError as e:
            raise ExprError(f"bad instant {text!r}: {e}") from None

    return Helper(lambda v: v, (TEXT,), DATETIME, literal=frozenset({0}), prepare=prepare, fold=True)



BASE_HELPERS["instant"] = parse_instant_literal()
