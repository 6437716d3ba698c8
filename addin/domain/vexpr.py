"""The rule language compiled to numpy: one call evaluates a rule on a whole column of orders.

Same parser, same whitelist, same type checks as expr.py (this is a subclass of its
compiler that only writes different code), and the same meaning for blanks:

    numbers  float64, blank = NaN      datetimes  datetime64[us] in UTC, blank = NaT
    durations timedelta64[us], NaT      text, yes/no  object arrays, blank = None

NaN and NaT already make `<`, `==` and arithmetic behave as the row engine does
(a comparison with a blank is false, arithmetic with a blank is blank); `!=`, text
comparisons and `not in` add an explicit presence mask. Helpers that have no numpy
form run element by element (np.frompyfunc) on the Python function of the row engine,
so both engines share one definition of, say, postal_code_ok.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from addin.domain.calendar import UTC
from addin.domain.expr import _NO, _Compiler
from addin.domain.helpers import BOOL, DATETIME, DURATION, NUMBER, TEXT, ExprError, Helper

US = np.timedelta64(1, "us")
NAT = np.datetime64("NaT", "us")


def to_datetime64(value: datetime) -> np.datetime64:
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "us")


def _m(x: Any) -> Any:
    """A condition as a boolean mask (yes/no columns hold True, False or None)."""
    if isinstance(x, np.ndarray):
        return x if x.dtype == bool else np.equal(x, True)
    return np.bool_(x is True or (x is not None and not isinstance(x, np.ndarray) and x == True))  # noqa: E712


def _pn(x: Any) -> Any:
    return ~np.isnan(x)


def _pt(x: Any) -> Any:
    return ~np.isnat(x)


def _po(x: Any) -> Any:
    memo = MEMO.results
    if memo is None or not isinstance(x, np.ndarray):
        return np.not_equal(x, None)
    key = ("present", id(x))
    if key not in memo:
        memo[key] = (np.not_equal(x, None), x)
    return memo[key][0]


PRESENT = {NUMBER: "_pn", DATETIME: "_pt", DURATION: "_pt"}


def _py(x: Any) -> Any:
    """One element as the row engine sees it (NaN/NaT -> None, datetime64 -> aware datetime)."""
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, np.generic) and not isinstance(x, (np.datetime64, np.timedelta64)):
        x = x.item()  # np.float64 -> float, np.bool_ -> bool
        return None if isinstance(x, float) and x != x else x
    if isinstance(x, np.datetime64):
        return None if np.isnat(x) else x.astype(datetime).replace(tzinfo=UTC)
    if isinstance(x, np.timedelta64):
        return None if np.isnat(x) else x.astype(timedelta)
    return x


@functools.lru_cache(maxsize=None)
def _ufunc(fn: Callable[..., Any], nargs: int) -> Any:
    return np.frompyfunc(fn, nargs, 1)


class _Memo(threading.local):
    """Helper results of the batch being evaluated, so `country_known(country)` in two rules runs once."""

    def __init__(self) -> None:
        self.results: dict[tuple[Any, ...], tuple[Any, Any]] | None = None


MEMO = _Memo()


@contextlib.contextmanager
def helper_memo() -> Iterator[None]:
    """Within this block, a helper called again on the same column objects reuses its result."""
    MEMO.results = {}
    try:
        yield
    finally:
        MEMO.results = None


def forget_helper_results() -> None:
    """A stage of the rules is over: its helpers' results (and the columns they keep alive) can go."""
    if MEMO.results is not None:
        MEMO.results.clear()


def _as_python(x: Any) -> Any:
    """A column as Python values for a row helper (NaN/NaT -> None); text columns already are."""
    if isinstance(x, np.ndarray) and x.dtype != object:
        out = np.empty(x.shape, dtype=object)
        out[:] = [_py(v) for v in x]
        return out
    return _py(x) if isinstance(x, np.generic) else x


def _vobj(fn: Callable[..., Any], *args: Any) -> Any:
    memo = MEMO.results
    key = (fn, *(id(a) for a in args)) if memo is not None else None
    if key is not None and key in memo:
        return memo[key][0]
    values = [_as_python(a) for a in args]
    out = _per_value(fn, values[0]) if len(values) == 1 else None
    if out is None:
        out = _ufunc(fn, len(args))(*values)
    out = out if isinstance(out, np.ndarray) else np.array(out, dtype=object)
    if key is not None:
        memo[key] = (out, args)  # keeps args alive, so their ids stay theirs
    return out


def _per_value(fn: Callable[..., Any], x: Any) -> np.ndarray | None:
    """fn over a text column of few distinct values (countries, carriers), called once per value
    (13 calls, not a million, for `country_known(country)`; helpers are pure); None for any other
    column. Only str and None values: a dict would take 1, 1.0 and True for one key."""
    if not isinstance(x, np.ndarray) or x.dtype != object or len(x) < PER_VALUE_MIN:
        return None
    if len({id(v) for v in x[:: max(len(x) // 1024, 1)].tolist()}) > 64:
        return None
    values = x.tolist()
    distinct = dict.fromkeys(values)
    if len(distinct) > PER_VALUE_MIN // 16 or not all(v is None or v.__class__ is str for v in distinct):
        return None
    for v in distinct:
        distinct[v] = fn(v)
    return np.fromiter(map(distinct.__getitem__, values), dtype=object, count=len(values))


PER_VALUE_MIN = 4096


def _vbool(fn: Callable[..., Any], *args: Any) -> Any:
    return np.equal(_vobj(fn, *args), True)


def _vnum(fn: Callable[..., Any], *args: Any) -> Any:
    out = _vobj(fn, *args)
    return np.where(np.equal(out, None), np.nan, out).astype(float)


def _div(a: Any, b: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    blank = np.equal(b, 0) if not isinstance(b, np.ndarray) or b.dtype.kind != "m" else np.equal(b, np.timedelta64(0))
    if isinstance(out, np.ndarray):
        out = out.copy()
        out[np.broadcast_to(blank, out.shape)] = NAT.astype(out.dtype) if out.dtype.kind == "m" else np.nan
        return out
    return (np.timedelta64("NaT") if isinstance(out, np.timedelta64) else np.nan) if blank else out


def _dmul(a: Any, b: Any) -> Any:
    """duration x number (or number x duration), blank when either is."""
    d, x = (a, b) if np.asarray(a).dtype.kind == "m" else (b, a)
    x = np.asarray(x, dtype=float)
    out = (np.asarray(d).astype("timedelta64[us]").astype(np.int64) * x)
    bad = np.isnan(out) | np.isnat(np.asarray(d))
    out = np.where(bad, 0, out).astype(np.int64).astype("timedelta64[us]")
    return np.where(bad, np.timedelta64("NaT", "us"), out)


def _dur(x: Any, unit: np.timedelta64) -> Any:
    return _dmul(np.asarray(unit), x)


def _tadd(a: Any, b: Any) -> Any:
    return _vobj(lambda x, y: None if x is None or y is None else x + y, a, b)


def _ocmp(sym: str, a: Any, b: Any) -> Any:
    ops = {"<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}
    op = ops[sym]
    return _vbool(lambda x, y: x is not None and y is not None and op(x, y), a, b)


def _oin(a: Any, values: frozenset[Any]) -> Any:
    out = np.zeros(np.shape(a), dtype=bool)
    for v in values:  # a handful of constants: one C-level comparison each
        out |= np.equal(a, v)
    return out


def _coalesce(type_: str, *args: Any) -> Any:
    present = {NUMBER: _pn, DATETIME: _pt, DURATION: _pt}.get(type_, _po)
    out = args[-1]
    for arg in reversed(args[:-1]):
        out = np.where(present(arg), arg, out)
    return out


def _full(value: Any, n: int, type_: str) -> Any:
    """A result as a column of n values (a constant condition becomes a constant column)."""
    if type_ == BOOL:
        value = _m(value)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value
    dtype = {BOOL: bool, NUMBER: float, DATETIME: "datetime64[us]", DURATION: "timedelta64[us]"}.get(type_, object)
    return np.full(n, value, dtype=dtype)


RUNTIME: dict[str, Any] = {
    "np": np, "_m": _m, "_pn": _pn, "_pt": _pt, "_po": _po, "_vobj": _vobj, "_vbool": _vbool, "_vnum": _vnum,
    "_div": _div, "_dmul": _dmul, "_dur": _dur, "_tadd": _tadd, "_ocmp": _ocmp, "_oin": _oin,
    "_coalesce": _coalesce, "_full": _full,
}
NUMPY_HELPERS = {"abs": "np.abs", "min": "_vmin", "max": "_vmax"}
DURATION_UNITS = {"hours": np.timedelta64(3600_000_000, "us"), "minutes": np.timedelta64(60_000_000, "us"),
                  "days": np.timedelta64(86400_000_000, "us")}


class VectorCompiler(_Compiler):
    """Writes numpy code over a dict of columns `r`; `finish` returns f(r, n) -> column of n values."""

    def const(self, value: Any, type_: str) -> tuple[str, str, Any]:
        if isinstance(value, datetime):
            value = to_datetime64(value)
        elif isinstance(value, timedelta):
            value = np.timedelta64(value // timedelta(microseconds=1), "us")
        return super().const(value, type_)

    def finish(self, src: str, type_: str) -> Callable[..., Any]:
        namespace: dict[str, Any] = {"__builtins__": {}, **RUNTIME, **self.consts}
        return eval(compile(f"lambda r, n: _full({src}, n, {type_!r})", "<rule/numpy>", "eval"), namespace)  # noqa: S307

    def present(self, src: str, type_: str) -> str:
        return f"{PRESENT.get(type_, '_po')}({src})"

    def emit_boolop(self, op: str, parts: list[str]) -> str:
        joiner = " & " if op == "and" else " | "
        return "(" + joiner.join(f"_m({p})" for p in parts) + ")"

    def emit_not(self, src: str) -> str:
        return f"(~_m({src}))"

    def emit_sign(self, sign: str, src: str) -> str:
        return f"({sign}{src})"

    def emit_arith(self, op: str, ls: str, lv: Any, lt: str, rs: str, rv: Any, rt: str, result: str) -> str:
        if lt == TEXT and rt == TEXT:
            return f"_tadd({ls}, {rs})"
        if op == "/":
            return f"_div({ls}, {rs})"
        if op == "*" and DURATION in (lt, rt):
            return f"_dmul({ls}, {rs})"
        return f"({ls} {op} {rs})"

    def _guards(self, ls: str, lv: Any, lt: str, rs: str, rv: Any, rt: str) -> str:
        checks = [self.present(s, t) for s, v, t in ((ls, lv, lt), (rs, rv, rt)) if v is _NO]
        return "".join(f" & {c}" for c in checks)

    def emit_compare(self, sym: str, ls: str, lv: Any, lt: str, rs: str, rv: Any, rt: str,
                     chained: bool) -> tuple[str, str, Any]:
        numeric = {lt, rt} <= {NUMBER, DATETIME, DURATION}
        if numeric and sym != "!=":
            return f"({ls} {sym} {rs})", rs, rv
        if numeric:
            return f"(({ls} != {rs}){self._guards(ls, lv, lt, rs, rv, rt)})", rs, rv
        if sym in ("==", "!="):
            fn = "np.equal" if sym == "==" else "np.not_equal"
            return f"({fn}({ls}, {rs}){self._guards(ls, lv, lt, rs, rv, rt)})", rs, rv
        return f"_ocmp({sym!r}, {ls}, {rs})", rs, rv

    def emit_all(self, parts: list[str]) -> str:
        return "(" + " & ".join(parts) + ")" if len(parts) > 1 else parts[0]

    def emit_in(self, ls: str, lv: Any, lt: str, values: frozenset[Any], negate: bool) -> str:
        name, _, _ = self.const(values, lt)
        if lt == NUMBER:
            test = f"np.isin({ls}, {sorted(values)!r})"
        else:
            test = f"_oin({ls}, {name})"
        return f"((~{test}) & {self.present(ls, lt)})" if negate else test

    def emit_if(self, test: str, a: str, b: str, type_: str) -> str:
        return f"np.where(_m({test}), {a}, {b})"

    def emit_inline(self, name: str, helper: Helper, srcs: list[str], types: list[str]) -> str:
        if name == "present":
            return self.present(srcs[0], types[0])
        if name == "blank":
            return f"(~{self.present(srcs[0], types[0])})"
        raise ExprError(f"{name}() has no column form")

    def emit_call(self, name: str, helper: Helper, srcs: list[str], types: list[str], result: str) -> str:
        args = ", ".join(srcs)
        if name in DURATION_UNITS:
            unit, _, _ = self.const(DURATION_UNITS[name], DURATION)
            return f"_dur({srcs[0]}, {unit})"
        if name == "abs":
            return f"np.abs({args})"
        if name in ("min", "max"):
            fn = "np.minimum" if name == "min" else "np.maximum"
            out = srcs[0]
            for s in srcs[1:]:
                out = f"{fn}({out}, {s})"
            return out
        if name == "coalesce":
            return f"_coalesce({result!r}, {args})"
        fn_name = f"_f_{name}"
        self.consts[fn_name] = helper.fn
        wrapper = {BOOL: "_vbool", NUMBER: "_vnum"}.get(result, "_vobj")
        if result in (DATETIME, DURATION):
            raise ExprError(f"{name}() has no column form")
        return f"{wrapper}({fn_name}, {args})"
