"""A small, safe condition language compiled once to a Python lambda.

Why hand-written: the libraries measured in shared/notes/rules-libs.md are 30 to
7000 times slower per evaluation, and none of them reports a misspelt field at
load time. Here a condition such as

    refunded_by == 'merchant' and refunded_at < coalesce(tracking_confirmed_at, now)

is parsed with the standard `ast` module, every node is checked against a
whitelist and a type table, and the result is turned into Python source for a
lambda over one order (a dict). Nothing outside the whitelist can be expressed:
no attribute access, no subscripts, no calls but the helpers given, no `**`, no
comprehensions or lambdas, and the text is length-bounded.

Blank values (None) follow one rule, documented for merchants: a comparison
with a blank is false, arithmetic with a blank gives a blank, and `present(x)` /
`blank(x)` test for one.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from addin.domain.helpers import (  # noqa: F401 - re-exported for rule loaders
    ANY, BASE_HELPERS, BOOL, DATETIME, DURATION, NUMBER, TEXT, TYPE_WORDS, ExprError, Helper, parse_instant_literal,
)

MAX_LENGTH = 500


@dataclass
class Compiled:
    """A compiled expression: its text, its result type and the function to call on an order."""

    source: str
    type: str
    fn: Callable[[Mapping[str, Any]], Any]
    names: frozenset[str] = field(default_factory=frozenset)
    code: str = ""  # the Python expression over `r` that fn evaluates (for fusing many rules into one function)
    env: dict[str, Any] = field(default_factory=dict, repr=False)  # the constants and helpers `code` names
    vfn: Callable[..., Any] | None = field(default=None, repr=False)  # the numpy form: vfn(columns, n) -> column

    def __call__(self, order: Mapping[str, Any]) -> Any:
        return self.fn(order)


_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ORDERED = {NUMBER, DATETIME, DURATION, TEXT}
_FORBIDDEN = {
    ast.Attribute: "attribute access (a.b) is not allowed",
    ast.Subscript: "indexing (a[b]) is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Dict: "dictionaries are not allowed",
}


class _Compiler:
    def __init__(self, names: Mapping[str, str], helpers: Mapping[str, Helper]):
        self.names = names
        self.helpers = helpers
        self.consts: dict[str, Any] = {}
        self.temps = 0
        self.used: set[str] = set()

    # Each visit returns (python source, type, constant value or _NO).
    def visit(self, node: ast.AST) -> tuple[str, str, Any]:
        for kind, why in _FORBIDDEN.items():
            if isinstance(node, kind):
                raise ExprError(why, _col(node))
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise ExprError(f"'{_describe(node)}' is not allowed in a rule expression", _col(node))
        return method(node)

    def finish(self, src: str, type_: str) -> Callable[..., Any]:
        """The function of one order (a dict of field values) that computes `src`."""
        namespace: dict[str, Any] = {"__builtins__": {}, **self.consts}
        return eval(compile(f"lambda r: {src}", "<rule>", "eval"), namespace)  # noqa: S307 - whitelisted source

    def const(self, value: Any, type_: str) -> tuple[str, str, Any]:
        if isinstance(value, (bool, int, float, str)) and not (isinstance(value, float) and value != value):
            return repr(value), type_, value
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name, type_, value

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def visit_Constant(self, node: ast.Constant) -> tuple[str, str, Any]:
        v = node.value
        if isinstance(v, bool):
            return self.const(v, BOOL)
        if isinstance(v, (int, float)):
            return self.const(float(v) if isinstance(v, float) else v, NUMBER)
        if isinstance(v, str):
            if len(v) > 200:
                raise ExprError("text constants are limited to 200 characters", _col(node))
            return self.const(v, TEXT)
        raise ExprError(f"constant {v!r} is not allowed (write present(x) or blank(x) to test for a blank)", _col(node))

    def visit_Name(self, node: ast.Name) -> tuple[str, str, Any]:
        if node.id in ("true", "false"):
            return self.const(node.id == "true", BOOL)
        if node.id not in self.names:
            hint = difflib.get_close_matches(node.id, list(self.names), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise ExprError(f"unknown name '{node.id}'{extra}", _col(node))
        self.used.add(node.id)
        return f"r[{node.id!r}]", self.names[node.id], _NO

    def visit_BoolOp(self, node: ast.BoolOp) -> tuple[str, str, Any]:
        parts = []
        for value in node.values:
            src, t, _ = self.visit(value)
            _expect(t, BOOL, value, "'and'/'or' needs conditions")
            parts.append(src)
        return self.emit_boolop("and" if isinstance(node.op, ast.And) else "or", parts), BOOL, _NO

    def visit_UnaryOp(self, node: ast.UnaryOp) -> tuple[str, str, Any]:
        src, t, v = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            _expect(t, BOOL, node.operand, "'not' needs a condition")
            return self.emit_not(src), BOOL, _NO
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if t not in (NUMBER, DURATION):
                raise ExprError(f"a sign needs a number or a duration, not {TYPE_WORDS.get(t, t)}", _col(node))
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            if v is not _NO:
                return self.const(-v if sign == "-" else v, t)
            return self.emit_sign(sign, src), t, _NO
        raise ExprError(f"operator '{_describe(node)}' is not allowed", _col(node))

    def visit_BinOp(self, node: ast.BinOp) -> tuple[str, str, Any]:
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
        op = ops.get(type(node.op))
        if op is None:
            shown = "**" if isinstance(node.op, ast.Pow) else _describe(node)
            raise ExprError(f"'{shown}' is not allowed", _col(node))
        ls, lt, lv = self.visit(node.left)
        rs, rt, rv = self.visit(node.right)
        result = _arith_type(op, lt, rt)
        if result is None:
            raise ExprError(
                f"cannot compute {TYPE_WORDS.get(lt, lt)} {op} {TYPE_WORDS.get(rt, rt)}", _col(node))
        if lv is not _NO and rv is not _NO:
            try:
                return self.const(_apply(op, lv, rv), result)
            except (ArithmeticError, OverflowError) as e:
                raise ExprError(f"constant arithmetic fails: {e}", _col(node)) from None
        return self.emit_arith(op, ls, lv, lt, rs, rv, rt, result), result, _NO

    # -- code generation: the row engine's Python over one order. vexpr.py overrides these for numpy.
    def emit_boolop(self, op: str, parts: list[str]) -> str:
        return "(" + f" {op} ".join(parts) + ")"

    def emit_not(self, src: str) -> str:
        return f"(not {src})"

    def emit_sign(self, sign: str, src: str) -> str:
        tmp = self.temp()
        return f"(None if ({tmp} := {src}) is None else {sign}{tmp})"

    def emit_arith(self, op: str, ls: str, lv: Any, lt: str, rs: str, rv: Any, rt: str, result: str) -> str:
        if op == "/":  # dividing by zero gives a blank, like any other value that cannot be computed
            return self.null_safe(ls, lv, rs, rv, "(None if not {r} else {l} / {r})", "None")
        return self.null_safe(ls, lv, rs, rv, f"{{l}} {op} {{r}}", "None")

    def emit_compare(self, sym: str, ls: str, lv: Any, lt: str, rs: str, rv: Any, rt: str,
                     chained: bool) -> tuple[str, str, Any]:
        """One comparison of a chain: its source, and the left side of the next one."""
        if chained and rv is _NO:  # the right side is evaluated once and reused as the next left side
            tmp = self.temp()
            return self.null_safe(ls, lv, f"({tmp} := {rs})", rv, f"{{l}} {sym} {{r}}", "False"), tmp, _NO
        return self.null_safe(ls, lv, rs, rv, f"{{l}} {sym} {{r}}", "False"), rs, rv

    def emit_all(self, parts: list[str]) -> str:
        return ("(" + " and ".join(parts) + ")") if len(parts) > 1 else parts[0]

    def emit_in(self, ls: str, lv: Any, lt: str, values: frozenset[Any], negate: bool) -> str:
        name, _, _ = self.const(values, lt)
        sym = "not in" if negate else "in"
        return self.null_safe(ls, lv, name, values, f"{{l}} {sym} {{r}}", "False")

    def emit_if(self, test: str, a: str, b: str, type_: str) -> str:
        return f"({a} if {test} else {b})"

    def emit_inline(self, name: str, helper: Helper, srcs: list[str], types: list[str]) -> str:
        return helper.inline(srcs)  # type: ignore[misc]

    def emit_call(self, name: str, helper: Helper, srcs: list[str], types: list[str], result: str) -> str:
        fn_name = f"_f_{name}"
        self.consts[fn_name] = helper.fn
        return f"{fn_name}({', '.join(srcs)})"

    def null_safe(self, ls: str, lv: Any, rs: str, rv: Any, template: str, blank: str) -> str:
        """Source for `template` that yields `blank` when either non-constant side is blank."""
        checks, left, right = [], ls, rs
        if lv is _NO:
            left = self.temp()
            checks.append(f"({left} := {ls}) is None")
        if rv is _NO:
            right = self.temp()
            checks.append(f"({right} := {rs}) is None")
        body = template.format(l=left, r=right)
        if not checks:
            return f"({body})"
        return f"({blank} if {' or '.join(checks)} else {body})"

    def visit_Compare(self, node: ast.Compare) -> tuple[str, str, Any]:
        left_node = node.left
        ls, lt, lv = self.visit(left_node)
        parts = []
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                parts.append(self.membership(ls, lt, lv, op, right_node))
                continue
            sym = _COMPARE.get(type(op))
            if sym is None:
                raise ExprError(f"'{_describe(op)}' comparison is not allowed", _col(node))
            rs, rt, rv = self.visit(right_node)
            if ANY not in (lt, rt) and lt != rt:
                raise ExprError(
                    f"cannot compare {TYPE_WORDS.get(lt, lt)} with {TYPE_WORDS.get(rt, rt)}", _col(right_node))
            if sym not in ("==", "!=") and lt not in _ORDERED and lt != ANY:
                raise ExprError(f"'{sym}' needs numbers, texts, dates or durations", _col(node))
            part, ls, lv = self.emit_compare(sym, ls, lv, lt, rs, rv, rt, len(node.ops) > 1)
            parts.append(part)
            lt = rt
        return self.emit_all(parts), BOOL, _NO

    def membership(self, ls: str, lt: str, lv: Any, op: ast.cmpop, right: ast.AST) -> str:
        if not isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            raise ExprError("'in' needs a list of constants, e.g. country in ('US', 'CA')", _col(right))
        values = []
        for elt in right.elts:
            _, t, v = self.visit(elt)
            if v is _NO:
                raise ExprError("'in' needs a list of constants", _col(elt))
            if lt not in (ANY, t):
                raise ExprError(f"cannot compare {TYPE_WORDS.get(lt, lt)} with {TYPE_WORDS.get(t, t)}", _col(elt))
            values.append(v)
        return self.emit_in(ls, lv, lt, frozenset(values), isinstance(op, ast.NotIn))

    def visit_IfExp(self, node: ast.IfExp) -> tuple[str, str, Any]:
        ts, tt, _ = self.visit(node.test)
        _expect(tt, BOOL, node.test, "'if' needs a condition")
        a, at, _ = self.visit(node.body)
        b, bt, _ = self.visit(node.orelse)
        if ANY not in (at, bt) and at != bt:
            raise ExprError(f"both branches must have the same type, got {at} and {bt}", _col(node))
        type_ = at if at != ANY else bt
        return self.emit_if(ts, a, b, type_), type_, _NO

    def visit_Call(self, node: ast.Call) -> tuple[str, str, Any]:
        if isinstance(node.func, ast.Attribute):
            raise ExprError(_FORBIDDEN[ast.Attribute], _col(node))
        if not isinstance(node.func, ast.Name):
            raise ExprError("only the listed helper functions can be called", _col(node))
        name = node.func.id
        helper = self.helpers.get(name)
        if helper is None:
            hint = difflib.get_close_matches(name, list(self.helpers), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise ExprError(f"function '{name}' is not allowed{extra}", _col(node))
        if node.keywords:
            raise ExprError(f"{name}() takes no named arguments", _col(node))
        n = len(node.args)
        lo = len(helper.params)
        if n < lo or (n > lo and not helper.varargs):
            want = f"at least {lo}" if helper.varargs else str(lo)
            raise ExprError(f"{name}() takes {want} argument(s), got {n}", _col(node))
        srcs, types, values = [], [], []
        for i, arg in enumerate(node.args):
            s, t, v = self.visit(arg)
            want = helper.params[min(i, lo - 1)]
            if want != ANY and t not in (want, ANY):
                raise ExprError(
                    f"{name}() argument {i + 1} must be {TYPE_WORDS.get(want, want)}, not {TYPE_WORDS.get(t, t)}",
                    _col(arg))
            if i in helper.literal:
                if v is _NO:
                    raise ExprError(f"{name}() argument {i + 1} must be written as a constant", _col(arg))
                try:
                    v = helper.prepare(v) if helper.prepare else v
                except ExprError as e:
                    raise ExprError(e.message, _col(arg)) from None
                s, _, _ = self.const(v, t)
            srcs.append(s)
            types.append(t)
            values.append(v)
        try:
            result = helper.returns(types) if callable(helper.returns) else helper.returns
        except ExprError as e:
            raise ExprError(f"{name}(): {e.message}", _col(node)) from None
        if helper.inline is not None:
            return self.emit_inline(name, helper, srcs, types), result, _NO
        if helper.fold and all(v is not _NO for v in values):
            try:
                return self.const(helper.fn(*values), result)
            except (ValueError, TypeError, OverflowError) as e:
                raise ExprError(f"{name}() fails on these constants: {e}", _col(node)) from None
        return self.emit_call(name, helper, srcs, types, result), result, _NO


class _NoValue:
    def __repr__(self) -> str:
        return "<not a constant>"


_NO: Any = _NoValue()


def _apply(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


def _arith_type(op: str, left: str, right: str) -> str | None:
    table = {
        ("+", NUMBER, NUMBER): NUMBER, ("-", NUMBER, NUMBER): NUMBER,
        ("*", NUMBER, NUMBER): NUMBER, ("/", NUMBER, NUMBER): NUMBER,
        ("-", DATETIME, DATETIME): DURATION,
        ("+", DATETIME, DURATION): DATETIME, ("-", DATETIME, DURATION): DATETIME,
        ("+", DURATION, DATETIME): DATETIME,
        ("+", DURATION, DURATION): DURATION, ("-", DURATION, DURATION): DURATION,
        ("*", DURATION, NUMBER): DURATION, ("*", NUMBER, DURATION): DURATION,
        ("/", DURATION, NUMBER): DURATION, ("/", DURATION, DURATION): NUMBER,
        ("+", TEXT, TEXT): TEXT,
    }
    if ANY in (left, right):
        return ANY
    return table.get((op, left, right))


def _expect(actual: str, wanted: str, node: ast.AST, why: str) -> None:
    if actual not in (wanted, ANY):
        raise ExprError(f"{why}, got {TYPE_WORDS.get(actual, actual)}", _col(node))


def _col(node: ast.AST) -> int | None:
    off = getattr(node, "col_offset", None)
    return None if off is None else off + 1


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - only used to word an error
        return type(node).__name__


def compile_expr(
    text: str,
    names: Mapping[str, str],
    helpers: Mapping[str, Helper] | None = None,
    want: str | Sequence[str] | None = None,
    compiler: type[_Compiler] | None = None,
) -> Compiled:
    """Compile `text` against the field types in `names`; raise ExprError on anything unsafe or mistyped.

    `compiler` picks the code generator: the default one writes Python over one order;
    vexpr.VectorCompiler writes numpy over whole columns.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        column = e.offset if e.offset else len(text.strip()) + 1  # offset 0: the text ended too early
        raise ExprError(f"syntax error: {e.msg}", column) from None
    compiler_ = (compiler or _Compiler)(names, {**BASE_HELPERS, **(helpers or {})})
    src, type_, value = compiler_.visit(tree.body)
    if want is not None:
        wanted = (want,) if isinstance(want, str) else tuple(want)
        if type_ not in wanted and type_ != ANY:
            words = " or ".join(TYPE_WORDS.get(w, w) for w in wanted)
            raise ExprError(f"the expression must give {words}, but gives {TYPE_WORDS.get(type_, type_)}")
    fn = compiler_.finish(src, type_)
    result = Compiled(text.strip(), type_, fn, frozenset(compiler_.used), src, compiler_.consts)
    if type(compiler_) is _Compiler:  # the row form also carries its column form, for the batch engine
        from addin.domain.vexpr import VectorCompiler

        result.vfn = compile_expr(text, names, helpers, want, VectorCompiler).fn
    return result
