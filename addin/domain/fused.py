"""Many compiled rules fused into one generated function per stage.

Calling fifty small lambdas per order costs more in call overhead than the
conditions themselves (bench/bench_rules.py measured ~10 µs per order). A stage
(all validation checks, all policy conditions) is therefore also generated as a
single function whose body tests every rule inline and returns the indexes of
the rules that fire. The per-rule lambdas remain for explanations and for the
rare row on which the fused function raises (the caller then falls back to
rule-by-rule evaluation, which pins the error on the rule that caused it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from addin.domain.expr import Compiled

Fused = Callable[[Mapping[str, Any]], "list[int] | None"]
_PRIVATE = re.compile(r"\b(_c\d+|_f_\w+|_t\d+)\b")


def _local(expr: Compiled, k: int, env: dict[str, Any]) -> str:
    """The expression's code with its private names made unique to rule k (constants copied into env)."""
    def rename(m: re.Match[str]) -> str:
        name = m.group(1)
        new = f"{name}_{k}"
        if name in expr.env:
            env[new] = expr.env[name]
        return new

    return _PRIVATE.sub(rename, expr.code)


def fuse(pairs: Sequence[tuple[Compiled | None, Compiled | None]], name: str = "stage") -> Fused:
    """One function returning the indexes i for which `first` holds (or is None) and `second` does not.

    Validation passes (when, check) pairs: index i fires when the rule applies and its check fails.
    Policies pass (condition, None): index i fires when the condition holds.
    It returns None when a rule raised on this row.
    """
    env: dict[str, Any] = {"__builtins__": {}, "Exception": Exception}
    lines = [f"def _{name}(r):", "    out = []", "    try:"]
    for i, (first, second) in enumerate(pairs):
        parts = []
        if first is not None:
            parts.append(f"({_local(first, 2 * i, env)})")
        if second is not None:
            parts.append(f"not ({_local(second, 2 * i + 1, env)})")
        lines.append(f"        if {' and '.join(parts) or 'True'}:")
        lines.append(f"            out.append({i})")
    if not pairs:
        lines.append("        pass")
    lines += ["    except Exception:", "        return None", "    return out"]
    exec(compile("\n".join(lines), f"<fused {name}>", "exec"), env)  # noqa: S102 - built from whitelisted rule code
    return env[f"_{name}"]


def fuse_assignments(items: Sequence[tuple[str, Compiled]], name: str = "derived") -> Callable[[dict], bool]:
    """One function that sets r[name] = expression for each item in order; False when one raised."""
    env: dict[str, Any] = {"__builtins__": {}, "Exception": Exception}
    lines = [f"def _{name}(r):", "    try:"]
    for k, (target, expr) in enumerate(items):
        lines.append(f"        r[{target!r}] = {_local(expr, k, env)}")
    lines += ["        pass", "    except Exception:", "        return False", "    return True"]
    exec(compile("\n".join(lines), f"<fused {name}>", "exec"), env)  # noqa: S102 - built from whitelisted rule code
    return env[f"_{name}"]
