"""Words and cell values for one evaluated order, in the merchant's language and time zone.

The engine keeps instants in UTC; here they become naive wall-clock times of
the workbook zone (what the merchant's Excel shows), and explanations also say
the policy-zone time when the two zones differ, so a merchant in Shenzhen can
check a deadline against Wish's own wording in Pacific time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from addin.domain.messages import CATALOG, say
from addin.domain.policies import compute_amount
from addin.domain.workflow import kept_states
from addin.domain.model import ERROR, AtRisk, Fine, Issue, OrderResult, RuleSet

OUTPUT_COLUMNS = (
    "Validation", "Status", "Next Action", "Ship By", "Fines (USD)", "Appeal Deadline", "Suspended Until",
    "Explanation",
)
FINE_COLUMNS = (
    "Fine ID", "Order ID", "Product ID", "Policy", "Amount (USD)", "Generated At", "Appealable",
    "Appeal Deadline", "Suspended Until", "Rule",
)


def clock(instant: datetime | None, rules: RuleSet) -> str:
    """An instant as the merchant reads it: 'YYYY-MM-DD HH:MM' in the workbook zone."""
    if instant is None:
        return ""
    return rules.zones.to_workbook(instant).strftime("%Y-%m-%d %H:%M")


def both_clocks(instant: datetime, rules: RuleSet) -> str:
    """The workbook-zone time, and Wish's policy-zone time beside it when the zones differ."""
    zones = rules.zones
    policy = zones.to_policy(instant).strftime("%Y-%m-%d %H:%M") if zones.workbook.key != zones.policy.key else ""
    return clocks_shown(clock(instant, rules), policy, zones)


def clocks_shown(own: str, policy: str, zones: Any) -> str:
    """The workbook-zone clock with its zone, and the policy-zone one beside it when given."""
    return f"{own} ({zones.workbook.key})" + (f" = {policy} ({zones.policy.key})" if policy else "")


class Shown(str):
    """A yes/no shown in words that still tests true or false in a message's {% if %}."""

    truth: bool

    def __new__(cls, text: str, truth: bool) -> Shown:
        obj = super().__new__(cls, text)
        obj.truth = truth
        return obj

    def __bool__(self) -> bool:
        return self.truth


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


class MessageContext(Mapping[str, Any]):
    """An order's values as text for message placeholders, formatted only when a message asks.

    Names are the order's fields and computed values, `<field>_label` for each field's label,
    and any extra values given (a risk's deadline, a fine's amount).
    """

    __slots__ = ("order", "rules", "language", "extra")

    def __init__(self, order: Mapping[str, Any], rules: RuleSet, language: str,
                 extra: Mapping[str, Any] | None = None):
        self.order, self.rules, self.language, self.extra = order, rules, language, extra or {}

    def with_values(self, **extra: Any) -> MessageContext:
        return MessageContext(self.order, self.rules, self.language, {**self.extra, **extra})

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.extra:
            return self.extra[name]
        if name.endswith("_label"):
            field = self.rules.fields.get(name[:-6])
            return field.label(self.language) if field is not None else default
        if name.startswith("_") or name not in self.order:
            return default
        value = self.order[name]
        if isinstance(value, datetime):
            return clock(value, self.rules)
        if isinstance(value, bool):
            return Shown(say("yes" if value else "no", self.language), value)
        if isinstance(value, float):
            return _number(value)
        return value

    def __getitem__(self, name: str) -> Any:
        missing = object()
        value = self.get(name, missing)
        if value is missing:
            raise KeyError(name)
        return value

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from (n for n in self.order if not n.startswith("_"))
        yield from (f"{n}_label" for n in self.rules.fields)
        yield from self.extra

    def __len__(self) -> int:
        return sum(1 for _ in self)


def message_context(order: Mapping[str, Any], rules: RuleSet, language: str) -> MessageContext:
    return MessageContext(order, rules, language)


def validation_text(result: OrderResult, language: str, cell_of: Callable[[str | None], str | None] | None = None) -> str:
    """"OK", or one line per issue: severity, the cell it points at, the message."""
    if not result.issues:
        return CATALOG["ok"](language)
    return "\n".join(issue_line(i, language, cell_of) for i in result.issues)


def issue_line(issue: Issue, language: str, cell_of: Callable[[str | None], str | None] | None = None) -> str:
    severity = CATALOG[ERROR if issue.severity == ERROR else "warning"](language)
    cell = cell_of(issue.field) if cell_of is not None else None
    sep = "：" if language == "zh" else ": "
    return f"{severity} {cell}{sep}{issue.message}" if cell else f"{severity}{sep}{issue.message}"


def next_action(order: Mapping[str, Any], result: OrderResult, rules: RuleSet, language: str,
                context: Mapping[str, Any]) -> str:
    """The state's next action, then what the merchant must do before a deadline, nearest first."""
    state = rules.workflow.states.get(result.status)
    actions = [state.next_action.render(language, context)] if state else []
    now = order["now"]
    timed: list[tuple[datetime, str]] = []
    for risk in result.risks:
        if risk.deadline >= now and risk.policy.risk is not None:
            text = _risk_text(risk, order, rules, language, context)
            timed.append((risk.deadline, say("risk_next", language, message=text,
                                             deadline=clock(risk.deadline, rules))))
    for fine in result.fines:
        if fine.appealable and fine.appeal_deadline is not None and fine.appeal_deadline >= now:
            timed.append((fine.appeal_deadline, say("appeal_next", language, name=fine.policy.name(language),
                                                     deadline=clock(fine.appeal_deadline, rules))))
    actions.extend(text for _, text in sorted(timed, key=lambda t: t[0]))
    return ("；" if language == "zh" else "; ").join(a for a in actions if a)


def explain(order: Mapping[str, Any], result: OrderResult, rules: RuleSet, language: str,
            context: Mapping[str, Any]) -> str:
    """One line per computed value, each naming the rule and rules/FILE.yaml:LINE behind it."""
    lines = issue_lines(result.issues, language)
    lines.append(_status_line(rules, language, result.status, result.start_state,
                              tuple(e.rule.id for e in result.status_events), order.get("order_state")))
    if result.ship_by is not None:
        lines.append(_ship_by_line(rules, language))
    for fine in result.fines:
        lines.append(_explain_fine(fine, order, rules, language, context))
    for risk in result.risks:
        lines.append(_explain_risk(risk, order, rules, language, context))
    return " | ".join(lines)  # one line: the cell stays one row high and reads in the formula bar


def issue_lines(issues: Sequence[Issue], language: str) -> list[str]:
    """The Explanation's lines of an order's issues: each one's severity, rule and rules/FILE.yaml:LINE."""
    lines = []
    for issue in issues:
        if issue.ref is None:
            continue  # a cell that could not be read: no rule behind it, the Validation column says it all
        severity = CATALOG[issue.severity if issue.severity in CATALOG else "warning"](language)
        lines.append(say("x_issue", language, severity=severity, rule=issue.rule_id, ref=issue.ref or "-"))
    return lines


def _status_line(rules: RuleSet, language: str, status: str, start_state: str, events: tuple[str, ...],
                 order_state: Any) -> str:
    key = ("status", language, status, start_state, events, order_state)
    line = rules.memo.get(key)
    if line is None:
        states = rules.workflow.states
        label = states[status].label(language) if status in states else status
        start = states[start_state].label(language) if start_state in states else start_state
        state_label = rules.fields["order_state"].label(language) if "order_state" in rules.fields else "Order State"
        ref = rules.workflow.wish_states_ref
        why = f"{state_label} {order_state} [{ref}]" if order_state else f"initial [{ref}]"
        if start_state in kept_states(rules.workflow).values():
            why = say("x_status_kept", language)
        by_id = {e.rule.id: e for e in rules.workflow.events}
        path = [say("x_status_start", language, state=start, why=why)]
        path += [f"{by_id[e].label(language)} [{e} {by_id[e].rule.ref}]" for e in events]
        line = rules.memo[key] = say("x_status", language, status=label, path=" → ".join(path))
    return line


def _ship_by_line(rules: RuleSet, language: str) -> str:
    key = ("ship_by", language)
    line = rules.memo.get(key)
    if line is None:
        ship = rules.workflow.ship_by
        start_label = rules.fields[ship.start_field].label(language) if ship.start_field in rules.fields else ""
        line = rules.memo[key] = say("x_ship_by", language, start=start_label, hours=_number(ship.hours),
                                     rule=ship.rule.id, ref=ship.rule.ref)
    return line


def _explain_fine(fine: Fine, order: Mapping[str, Any], rules: RuleSet, language: str,
                  context: Mapping[str, Any]) -> str:
    policy = fine.policy
    reason = policy.reason.render(language, context) if policy.reason else ""
    base = (policy.amount.of.fn(order) or 0.0) if policy.amount.of is not None else None
    return fine_sentence(policy, fine.amount, reason, how_amount(policy.amount, base, language), fine.appeal_window,
                         both_clocks(fine.appeal_deadline, rules) if fine.appeal_deadline is not None else None,
                         both_clocks(fine.suspended_until, rules) if fine.suspended_until is not None else None,
                         language)


def fine_sentence(policy: Any, amount: float, reason: str, how: str, window: Any, deadline: str | None,
                  suspended: str | None, language: str) -> str:
    """A fine's line of the Explanation, from its values as text (deadline and suspended as both_clocks
    shows them); the batch presenter makes the same line from its columns."""
    parts = [say("x_fine", language, name=policy.name(language), amount=f"{amount:.2f}", reason=reason,
                 rule=policy.rule.id, ref=policy.rule.ref)]
    parts.append(say("x_amount", language, how=how, ref=policy.amount.ref))
    if window is None or not window.appealable:
        parts.append(say("x_no_appeal", language, ref=window.ref if window else policy.rule.ref))
    elif deadline is None:
        parts.append(say("x_no_deadline", language, ref=window.ref))
    else:
        parts.append(say("x_appeal", language, deadline=deadline, how=_how_window(window, language), ref=window.ref))
    if suspended is not None:
        parts.append(say("x_suspended", language, until=suspended, hours=_number(policy.suspension_hours or 0),
                         ref=policy.suspension_ref))
    return "; ".join(parts)


def _risk_text(risk: AtRisk, order: Mapping[str, Any], rules: RuleSet, language: str,
               context: Mapping[str, Any]) -> str:
    if risk.policy.risk is None:
        return ""
    message = risk.policy.risk.message
    amount, _ = compute_amount(risk.policy.amount, order)
    key = None
    if message.names <= {"amount"}:  # the same sentence for every order at risk: make it once
        key = ("risk", language, risk.policy.rule.id, amount)
        if key in rules.memo:
            return rules.memo[key]
    values = context.with_values(deadline=clock(risk.deadline, rules), amount=f"{amount:.2f}")  # type: ignore[attr-defined]
    text = message.render(language, values)
    if key is not None:
        rules.memo[key] = text
    return text


def _explain_risk(risk: AtRisk, order: Mapping[str, Any], rules: RuleSet, language: str,
                  context: Mapping[str, Any]) -> str:
    policy = risk.policy
    ref = policy.risk.ref if policy.risk else policy.rule.ref
    text = _risk_text(risk, order, rules, language, context)
    if risk.deadline < order["now"]:
        text += say("x_risk_late", language, deadline=clock(risk.deadline, rules))
    return say("x_risk", language, name=policy.name(language), message=text, rule=policy.rule.id, ref=ref)


def how_amount(amount: Any, base: float | None, language: str) -> str:
    """How a fine's amount was reached, its base (the value of amount.of; None for a fixed amount) shown."""
    if amount.of is None:
        return say("how_fixed", language, fixed=f"{amount.fixed + amount.plus:.2f}")
    of = amount.of_name
    if amount.percent is not None and amount.minimum is not None:
        return say("how_percent", language, percent=_number(amount.percent), of=of, base=f"{base:.2f}",
                   minimum=f"{amount.minimum:.2f}")
    if amount.percent is not None:
        return say("how_percent_plain", language, percent=_number(amount.percent), of=of, base=f"{base:.2f}")
    return say("how_plus", language, of=of, base=f"{base:.2f}", plus=f"{amount.plus + amount.fixed:.2f}")


def _how_window(window: Any, language: str) -> str:
    if window.until is not None:
        return say("how_until", language)
    if window.business_days is not None:
        return say("how_business_days", language, n=window.business_days)
    if window.calendar_days is not None:
        return say("how_calendar_days", language, n=window.calendar_days)
    return say("how_hours", language, n=_number(window.hours or 0))


def render(order: Mapping[str, Any], result: OrderResult, rules: RuleSet, language: str | None = None,
           cell_of: Callable[[str | None], str | None] | None = None) -> dict:
    """The computed columns of one order row, as cell values (datetimes naive, in the workbook zone)."""
    language = language or rules.language
    context = message_context(order, rules, language)
    zones = rules.zones
    return {
        "Validation": validation_text(result, language, cell_of),
        "Status": rules.workflow.states[result.status].label(language)
        if result.status in rules.workflow.states else result.status,
        "Next Action": next_action(order, result, rules, language, context),
        "Ship By": zones.to_workbook(result.ship_by) if result.ship_by else None,
        "Fines (USD)": result.fines_total,
        "Appeal Deadline": zones.to_workbook(result.appeal_deadline) if result.appeal_deadline else None,
        "Suspended Until": zones.to_workbook(result.suspended_until) if result.suspended_until else None,
        "Explanation": explain(order, result, rules, language, context),
    }


def fine_rows(result: OrderResult, rules: RuleSet, language: str | None = None) -> list[dict]:
    """The Fines ledger rows of one order."""
    return ledger_rows(result.fines, rules, language)


def ledger_rows(fines: Sequence[Fine], rules: RuleSet, language: str | None = None) -> list[dict]:
    """The Fines ledger rows of some fines."""
    language = language or rules.language
    zones = rules.zones
    return [ledger_row(fine.fine_id, fine.policy, fine.order_id, fine.product_id, fine.amount,
                       zones.to_workbook(fine.generated_at),
                       fine.appealable,
                       zones.to_workbook(fine.appeal_deadline) if fine.appeal_deadline else None,
                       zones.to_workbook(fine.suspended_until) if fine.suspended_until else None, language)
            for fine in fines]


def ledger_row(fine_id: str, policy: Any, order_id: Any, product_id: Any, amount: float, generated: datetime, appealable: bool,
               deadline: datetime | None, suspended: datetime | None, language: str) -> dict:
    """One row of the Fines ledger (times naive, in the workbook zone)."""
    return {
        "Fine ID": fine_id,
        "Order ID": order_id,
        "Product ID": product_id,
        "Policy": policy.name(language),
        "Amount (USD)": amount,
        "Generated At": generated,
        "Appealable": say("yes" if appealable else "no", language),
        "Appeal Deadline": deadline,
        "Suspended Until": suspended,
        "Rule": f"{policy.rule.id} {policy.rule.ref}",
    }
