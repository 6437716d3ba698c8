"""What the program says, in English or Simplified Chinese.

Rule messages live in rules/*.yaml beside their rule (`message: {en: ..., zh: ...}`)
and may use `{{ placeholders }}`; they are compiled with a sandboxed Jinja2
environment once, when the rules load, and a placeholder that names nothing is
refused there. The engine's own sentences (explanations, status words, cell
conversion errors) are the small catalog below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

LANGUAGES = ("en", "zh")

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class MessageError(ValueError):
    pass


@dataclass(frozen=True)
class Text:
    """The same words in each language the product speaks."""

    en: str
    zh: str

    def __call__(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Message:
    """A Text whose words may hold `{{ name }}` placeholders filled from an order."""

    __slots__ = ("text", "_templates", "names")

    def __init__(self, text: Text, allowed: Iterable[str] | None = None):
        self.text = text
        self._templates = {}
        self.names: set[str] = set()
        for lang in LANGUAGES:
            source = text(lang)
            try:
                parsed = _ENV.parse(source)
            except TemplateSyntaxError as e:
                raise MessageError(f"message ({lang}) has a template error: {e.message}") from None
            names = meta.find_undeclared_variables(parsed)
            if allowed is not None:
                unknown = sorted(set(names) - set(allowed))
                if unknown:
                    raise MessageError(f"message ({lang}) uses unknown placeholder '{unknown[0]}'")
            self.names |= names
            self._templates[lang] = _fast_format(source) or _FlatIf.parse(source) or _ENV.from_string(source)

    def render(self, language: str, context: Mapping[str, Any]) -> str:
        template = self._templates["zh" if language == "zh" else "en"]
        if isinstance(template, str):
            return template.format_map(_Blank(context))
        if isinstance(template, _FlatIf):
            return template.render(context)
        return template.render({n: _shown(context.get(n)) for n in self.names})


_TOKEN = re.compile(r"\{\{\s*(\w+)\s*\}\}|\{%\s*if\s+(\w+)\s*%\}|\{%\s*(else|endif)\s*%\}|([^{}]+)")


class _FlatIf:
    """Messages with `{{ name }}` and un-nested `{% if name %}...{% else %}...{% endif %}`, rendered
    without Jinja (a Next Action is rendered for every order); anything else is left to Jinja, and
    tests/test_messages.py holds the two to the same output."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[tuple]):
        self.parts = parts

    @classmethod
    def parse(cls, source: str) -> _FlatIf | None:
        parts: list[tuple] = []
        block: list[tuple] | None = None  # the if's parts: ("if", name, then, otherwise)
        pos = 0
        while pos < len(source):
            m = _TOKEN.match(source, pos)
            if m is None:
                return None
            var, cond, keyword, text = m.groups()
            target = parts if block is None else (block[3] if block[4] else block[2])
            if var is not None:
                target.append(("var", var))
            elif text is not None:
                target.append(("text", text))
            elif cond is not None:
                if block is not None:
                    return None  # nested: Jinja's
                block = ["if", cond, [], [], False]
            elif keyword == "else" and block is not None and not block[4]:
                block[4] = True
            elif keyword == "endif" and block is not None:
                parts.append(("if", block[1], block[2], block[3]))
                block = None
            else:
                return None
            pos = m.end()
        return cls(parts) if block is None else None

    def render(self, context: Mapping[str, Any]) -> str:
        out: list[str] = []
        get = context.get
        for part in self.parts:  # a loop, not a generator: a Next Action is rendered for every order
            kind = part[0]
            if kind == "text":
                out.append(part[1])
            elif kind == "var":
                value = get(part[1])
                out.append("" if value is None else str(value))
            else:
                value = get(part[1])
                for inner in (part[2] if value is not None and value else part[3]):
                    if inner[0] == "text":
                        out.append(inner[1])
                    else:
                        value = get(inner[1])
                        out.append("" if value is None else str(value))
        return "".join(out)


_SIMPLE = re.compile(r"^(?:[^{}]|\{\{\s*\w+\s*\}\})*$")


def _fast_format(source: str) -> str | None:
    """Messages with nothing but `{{ name }}` placeholders render with str.format: ~20x faster than Jinja."""
    if not _SIMPLE.match(source):
        return None
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", r"{\1}", source)


def _shown(value: Any) -> Any:
    return "" if value is None else value


class _Blank(dict):  # type: ignore[type-arg]
    """format_map context that shows a blank for a missing or empty value."""

    def __init__(self, context: Mapping[str, Any]):
        super().__init__()
        self.context = context

    def __missing__(self, key: str) -> Any:
        return _shown(self.context.get(key))


CATALOG: dict[str, Text] = {
    "ok": Text("OK", "正常"),
    "error": Text("Error", "错误"),
    "warning": Text("Warning", "警告"),
    "yes": Text("yes", "是"),
    "no": Text("no", "否"),
    "bad_value": Text("{label} {value!r} is not {kind}", "{label}“{value}”不是{kind}"),
    "kind_number": Text("a number", "数字"),
    "kind_integer": Text("a whole number", "整数"),
    "kind_datetime": Text("a date and time", "日期时间"),
    "kind_bool": Text("yes/no", "是/否"),
    "unknown_value": Text("{label} {value!r} is not one of: {known}", "{label}“{value}”不是以下之一：{known}"),
    "excel_error": Text("{label} holds the Excel error {value}", "{label}中是 Excel 错误值 {value}"),
    "unknown_wish_state": Text(
        "Order State {value!r} is not a Wish state ({known})", "订单状态“{value}”不是 Wish 的状态（{known}）"),
    "not_allowed": Text(
        "event {event} is not allowed from status {state}", "状态“{state}”下不能执行“{event}”"),
    "guard_failed": Text(
        "event {event} needs: {condition}", "“{event}”需要满足：{condition}"),
    "rule_failed": Text(
        "rule {rule} could not be evaluated: {error}", "规则 {rule} 无法计算：{error}"),
    "no_calendar": Text(
        "{day} is outside the business-day calendar ({first}-{last})", "{day} 超出工作日历范围（{first}-{last}）"),
    "x_status": Text("Status {status}: {path}", "状态 {status}：{path}"),
    "x_status_kept": Text("as the sheet shows it: only the merchant sets this status", "沿用表格中的状态：此状态只由商户设置"),
    "x_status_start": Text("start {state} ({why})", "起始 {state}（{why}）"),
    "x_ship_by": Text("Ship By = {start} + {hours} h [{rule} {ref}]", "发货截止 = {start} + {hours} 小时 [{rule} {ref}]"),
    "x_fine": Text("Fine {name} ${amount}: {reason} [{rule} {ref}]", "罚款 {name} ${amount}：{reason} [{rule} {ref}]"),
    "x_amount": Text("amount {how} [{ref}]", "金额 {how} [{ref}]"),
    "x_appeal": Text("appeal by {deadline} ({how}) [{ref}]", "申诉截止 {deadline}（{how}）[{ref}]"),
    "x_no_appeal": Text("not appealable [{ref}]", "不可申诉 [{ref}]"),
    "x_no_deadline": Text("appealable, no deadline published [{ref}]", "可申诉，未公布截止时间 [{ref}]"),
    "x_suspended": Text("product suspended until {until} ({hours} h) [{ref}]", "产品暂停展示至 {until}（{hours} 小时）[{ref}]"),
    "x_risk": Text("At risk: {name} — {message} [{rule} {ref}]", "风险：{name} — {message} [{rule} {ref}]"),
    "x_risk_late": Text(" (too late: the deadline {deadline} has passed)", "（已逾期：截止时间 {deadline} 已过）"),
    "x_issue": Text("{severity} {rule} [{ref}]", "{severity} {rule} [{ref}]"),
    "how_business_days": Text("{n} US business days, same clock time", "{n} 个美国工作日，同一时刻"),
    "how_calendar_days": Text("{n} calendar days", "{n} 个自然日"),
    "how_hours": Text("{n} hours", "{n} 小时"),
    "how_until": Text("fixed deadline", "固定截止时间"),
    "how_fixed": Text("fixed ${fixed}", "固定 ${fixed}"),
    "how_percent": Text(
        "max({percent}% of {of} ${base}, ${minimum})", "max({of} ${base} 的 {percent}%, ${minimum})"),
    "how_percent_plain": Text("{percent}% of {of} ${base}", "{of} ${base} 的 {percent}%"),
    "how_plus": Text("{of} ${base} + ${plus}", "{of} ${base} + ${plus}"),
    "appeal_next": Text("Appeal fine {name} by {deadline}", "请在 {deadline} 前申诉罚款 {name}"),
    "risk_next": Text("{message} (by {deadline})", "{message}（截止 {deadline}）"),
}


def say(key: str, language: str, **values: Any) -> str:
    """One catalog sentence in `language`, with `values` filled in."""
    return CATALOG[key](language).format(**values)
