"""policies.yaml -> Policy values: expressions compiled, instants read in the policy zone."""

from __future__ import annotations

from typing import Any

from addin.config import schema as S
from addin.config.yamlfile import line_of
from addin.domain.expr import BOOL, DATETIME, NUMBER
from addin.domain.messages import Text
from addin.domain.model import Amount, AppealWindow, Cited, Effective, Policy, Risk

FILE = "policies"


def build_policies(b: Any, model: S.PoliciesFile, raw: Any, names: dict[str, str]) -> tuple[Policy, ...]:
    out: list[Policy] = []
    seen: set[str] = set()
    allowed = b.placeholders | set(names)
    for i, p in enumerate(model.policies):
        i = b.original("policies", ("policies",), i)
        node = raw["policies"][i]
        line = line_of(raw, "policies", i)
        if p.id in seen:
            b.error(FILE, line, f'duplicate policy id "{p.id}"')
        seen.add(p.id)
        before = len(b.errors)
        when = b.expr(FILE, node, "when", p.when, names, BOOL)
        generated = b.expr(FILE, node, "generated_at", p.generated_at, names, DATETIME)
        effective = []
        for j, e in enumerate(p.effective):
            e_line = line_of(node, "effective", j)
            if e.field != "generated_at" and names.get(e.field) != DATETIME:
                b.error(FILE, line_of(node, "effective", j, "field"),
                        f'effective.field: "{e.field}" is not a date-time field (or generated_at)')
            start = e.from_ if e.from_ is not None else e.after
            end = e.until if e.until is not None else e.before
            effective.append(Effective(e.field, b.ref(FILE, e_line), b.instant(start), e.after is None,
                                       b.instant(end), e.until is not None))
        amount = _amount(b, p.amount, node, names)
        windows = []
        for j, w in enumerate(p.appeal):
            windows.append(AppealWindow(
                b.ref(FILE, line_of(node, "appeal", j)), b.instant(w.generated_from), b.instant(w.generated_before),
                True, w.business_days, w.calendar_days, w.hours, b.instant(w.until), w.no_deadline, w.at))
        if not p.appealable:
            windows = [AppealWindow(b.ref(FILE, line_of(node, "appealable")), appealable=False)]
        risk = None
        if p.risk is not None:
            r_node = node["risk"]
            r_when = b.expr(FILE, r_node, "when", p.risk.when, names, BOOL) if p.risk.when else None
            r_deadline = b.expr(FILE, r_node, "deadline", p.risk.deadline, names, DATETIME) if p.risk.deadline else None
            msg = b.message(FILE, r_node, "message", p.risk.message, allowed)
            if msg is not None:
                risk = Risk(msg, b.ref(FILE, line_of(node, "risk")), r_when, r_deadline)
        reason = b.message(FILE, node, "reason", p.reason, allowed) if p.reason else None
        if len(b.errors) > before or when is None or generated is None or amount is None:
            continue
        suspension = p.suspension.hours if p.suspension else None
        out.append(Policy(
            Cited(p.id, b.ref(FILE, line), p.description, p.source), Text(p.name.en, p.name.zh), p.section, when,
            generated, amount, tuple(effective), tuple(windows), suspension,
            b.ref(FILE, line_of(node, "suspension")) if p.suspension else None, risk, reason, p.currency))
    return tuple(out)


def _amount(b: Any, a: S.AmountM, node: Any, names: dict[str, str]) -> Amount | None:
    of = None
    of_name = ""
    if a.of is not None:
        of = b.expr(FILE, node["amount"], "of", a.of, names, NUMBER)
        if of is None:
            return None
        derived_labels = {d: d.replace("_", " ") for d in names}
        of_name = derived_labels.get(a.of, a.of)
    return Amount(b.ref(FILE, line_of(node, "amount")), a.fixed, a.percent, of, of_name, a.plus, a.minimum)
