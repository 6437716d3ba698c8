"""Reading one YAML rule file with line numbers, and naming the line of any error in it.

ruamel.yaml's round-trip loader keeps the line of every key and list item
(`node.lc`), which PyYAML's safe_load throws away; pydantic then checks the
shape, and its error location (a path of keys) is walked back through the
ruamel nodes to the line a merchant has to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RuleError:
    """One problem in a rule file: `rules/policies.yaml line 12: unknown field "amout"`."""

    file: str
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        return f"{where}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


class RulesError(Exception):
    """A rule set that cannot be used; `errors` lists every problem found, sorted by file and line."""

    def __init__(self, errors: Sequence[RuleError]):
        self.errors = sorted(errors, key=lambda e: (e.file, e.line or 0, e.column or 0))
        super().__init__("\n".join(str(e) for e in self.errors))


class _Constructor(RoundTripConstructor):
    """Keeps timestamps as the text written, so every instant is parsed one way (by pydantic)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


def load(path: Path, shown: str) -> tuple[Any, list[RuleError]]:
    """Parse a YAML file; syntax errors come back as RuleErrors with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [RuleError(shown, None, "file not found")]
    except (OSError, UnicodeDecodeError) as e:
        return None, [RuleError(shown, None, f"cannot read: {e}")]
    try:
        return _yaml().load(text), []
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = e.problem or e.context or "YAML syntax error"
        return None, [RuleError(shown, line, f"YAML syntax error: {problem}", column)]
    except YAMLError as e:
        return None, [RuleError(shown, None, f"YAML syntax error: {e}")]


def line_of(node: Any, *path: Any) -> int | None:
    """The 1-based line of the key or item reached by `path` (the deepest one that exists)."""
    line = None
    for key in path:
        try:
            if isinstance(key, int):
                line = node.lc.item(key)[0] + 1
            elif key in node:
                line = node.lc.key(key)[0] + 1
            else:
                break
            node = node[key]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    if line is None:
        lc = getattr(node, "lc", None)
        if lc is not None:
            line = lc.line + 1
    return line


def value_line(node: Any, key: Any) -> int | None:
    """The line where the value of `key` starts (for a multi-line value, its first line)."""
    try:
        if isinstance(key, int):
            return node.lc.item(key)[0] + 1
        return node.lc.value(key)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return line_of(node, key)


Lists = tuple[tuple[str, ...], ...]
IndexMap = dict[tuple[str, ...], list[int]]


def check(model: type[M], data: Any, shown: str, lists: Lists = ()) -> tuple[M | None, list[RuleError], IndexMap]:
    """Validate parsed YAML against a pydantic model; every error names its line.

    When every error lies inside items of the lists named in `lists` (the rules of a
    file), those items are left out and the rest is validated again, so one bad rule
    does not hide the mistakes in the others. The index map says, for each list,
    which original item each remaining one was.
    """
    if data is None:
        return None, [RuleError(shown, None, "the file is empty")], {}
    try:
        return model.model_validate(data), [], {}
    except ValidationError as ve:
        errors, bad = [], {path: set() for path in lists}
        whole_file = False
        for e in ve.errors():
            loc = e["loc"]
            errors.append(RuleError(shown, line_of(data, *loc), _wording(e)))
            path = next((p for p in lists if tuple(loc[:len(p)]) == p and len(loc) > len(p)
                         and isinstance(loc[len(p)], int)), None)
            if path is None:
                whole_file = True
            else:
                bad[path].add(loc[len(path)])
    if whole_file:
        return None, errors, {}
    filtered, index = data, {}
    for path, drop in bad.items():
        filtered, kept = _without(filtered, path, drop)
        index[path] = kept
    try:
        return model.model_validate(filtered), errors, index
    except ValidationError:
        return None, errors, {}


def _without(data: Any, path: tuple[str, ...], drop: set[int]) -> tuple[Any, list[int]]:
    """A copy of `data` whose list at `path` lacks the items `drop`, and the kept items' original indexes."""
    if not path:
        kept = [i for i in range(len(data)) if i not in drop]
        return [data[i] for i in kept], kept
    try:
        inner, kept = _without(data[path[0]], path[1:], drop)
    except (KeyError, TypeError, IndexError):
        return data, []
    copy = dict(data)
    copy[path[0]] = inner
    return copy, kept


def _wording(error: Any) -> str:
    loc = error["loc"]
    kind = error["type"]
    dotted = ".".join(str(p) for p in loc)
    if kind == "extra_forbidden":
        return f'unknown field "{loc[-1]}"'
    if kind == "missing":
        return f'missing field "{loc[-1]}"'
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    got = error.get("input")
    shown = f" (got {got!r})" if isinstance(got, (str, int, float, bool)) and kind != "value_error" else ""
    if kind in ("datetime_from_date_parsing", "datetime_parsing", "date_from_datetime_parsing", "date_parsing",
                "datetime_type", "date_type"):
        return f"{dotted}: bad date: {message}{shown}"
    return f"{dotted}: {message}{shown}"
