"""The computed columns of a whole batch, a block of rows at a time, without an OrderResult per order.

present.render() is the reference: it turns one order's OrderResult into words. At a hundred
thousand orders its generic path (an aware datetime, a zone conversion and a strftime per
instant, a Fine and an AtRisk object per finding, a mapping lookup per value) is most of the
run, so this module makes the same cells from the batch engine's columns: instants become
wall-clock times and 'YYYY-MM-DD HH:MM' texts with numpy, a block of rows at once, and only the
joining of words is left per row. The sentences themselves come from the same catalog, rule
messages and helpers as render() (its memoised status and ship-by lines included).

Rows with any issue (a cell that could not be read, a failed validation rule, an unknown Wish
state, a policy that could not be applied) and rows with a fine are rare and go through
render() itself. tests/test_present_batch.py holds the two to identical cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from addin.domain.columns import clock_strings, utc_to_local, value_at
from addin.domain.engine import nearest_deadline
from addin.domain.messages import CATALOG, say
from addin.domain.model import RuleSet
from addin.domain.policies import money
from addin.domain.present import (
    OUTPUT_COLUMNS, MessageContext, Shown, _number, _ship_by_line, _status_line, message_context, render,
)

BLOCK = 8192
_NAT = np.iinfo(np.int64).min


class _Context(MessageContext):
    """MessageContext's values for one row of a block: datetimes as the block's clock texts."""

    __slots__ = ("block", "j")

    def __init__(self, block: _Block, j: int, extra: Mapping[str, Any] | None = None):
        self.block, self.j, self.extra = block, j, extra

    def with_values(self, **extra: Any) -> _Context:
        return _Context(self.block, self.j, {**(self.extra or {}), **extra})

    def get(self, name: str, default: Any = None) -> Any:
        if self.extra and name in self.extra:
            return self.extra[name]
        return self.block.shown(name, self.j, default)

    def __iter__(self) -> Iterator[str]:
        return iter(())


class _Block:
    """Rows lo..hi of a batch: the values messages show, converted once for the block."""

    def __init__(self, presenter: BatchPresenter, lo: int, hi: int):
        self.p, self.lo, self.hi = presenter, lo, hi
        self._shown: dict[str, list[Any]] = {}

    def shown(self, name: str, j: int, default: Any) -> Any:
        """What MessageContext.get(name) gives for row lo + j."""
        column = self._shown.get(name)
        if column is None:
            column = self._shown[name] = self._column(name)
        value = column[j]
        return default if value is _ABSENT else value

    def _column(self, name: str) -> list[Any]:
        p = self.p
        n = self.hi - self.lo
        if name.endswith("_label"):
            field = p.rules.fields.get(name[:-6])
            return [field.label(p.language) if field is not None else _ABSENT] * n
        cols = p.res.cols
        if name.startswith("_") or name not in cols:
            return [_ABSENT] * n
        col = cols[name]
        if isinstance(col, np.ndarray) and col.dtype.kind == "M":
            return [t or None for t in self.clocks(col[self.lo:self.hi])]
        if not isinstance(col, np.ndarray):  # a batch-wide scalar ("now")
            value = message_context(p.res.row(self.lo), p.rules, p.language).get(name)
            return [value] * n
        out = []
        for i in range(self.lo, self.hi):
            value = value_at(col, i)
            if isinstance(value, bool):
                value = Shown(say("yes" if value else "no", p.language), value)
            elif isinstance(value, float):
                value = _number(value)
            out.append(value)
        return out

    def clocks(self, instants: np.ndarray) -> list[str]:
        return clock_strings(utc_to_local(instants, self.p.rules.zones.workbook))


_ABSENT = object()


class BatchPresenter:
    """render()'s cells for every order of a BatchResult, in order, a block of rows at a time."""

    def __init__(self, res: Any, rules: RuleSet, language: str,
                 cell_of: Callable[[Any, str | None], str | None] | None = None,
                 on_result: Callable[[Any, Any], None] | None = None):
        """cell_of(order, field): where a field's cell is, for Validation's messages; on_result(order,
        result): called with the OrderResult of each row rendered by render() (the only rows with
        issues or fines, which a report counts)."""
        self.res, self.rules, self.language = res, rules, language
        self.cell_of, self.on_result = cell_of, on_result
        n = res.n
        slow = np.array(res.unknown_list, dtype=bool) if n else np.zeros(0, bool)
        slow[list(res.failing)] = True
        slow[list(res.batch.cell_issues)] = True
        for pc in res.policies:
            slow[list(pc.failures)] = True
            slow |= pc.fined
        self.slow = slow
        states = rules.workflow.states
        ids = res.engine.state_ids
        self.labels = [states[s].label(language) if s in states else s for s in ids]
        self.next_actions = [states[s].next_action if s in states else None for s in ids]
        self.auto_ids = [e.rule.id for e in res.engine.auto]
        self.ok = CATALOG["ok"](language)
        self.sep = "；" if language == "zh" else "; "
        self.now64 = np.datetime64(res.cols["now"], "us")
        self.bases: dict[int, np.ndarray] = {}  # policy -> amount base over all rows (risk messages)

    def cells(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """The computed cells of orders lo..hi-1, as render() gives them."""
        res, rules, language = self.res, self.rules, self.language
        block = _Block(self, lo, hi)
        cols = res.cols
        ship = utc_to_local(cols["ship_by"][lo:hi], rules.zones.workbook)
        ship_cells = ship.astype(object).tolist()
        order_states = [value_at(cols["order_state"], i) for i in range(lo, hi)]
        risk_clocks: dict[tuple[int, str], list[str]] = {}
        out = []
        for j, i in enumerate(range(lo, hi)):
            if self.slow[i]:
                order, result = res.row(i), res.result(i)
                if self.on_result is not None:
                    self.on_result(order, result)
                where = self.cell_of
                out.append(render(order, result, rules, language,
                                  (lambda f, o=order: where(o, f)) if where is not None else None))
                continue
            state = res.state_list[i]
            events = tuple(self.auto_ids[k] for k in res.steps[i] if k >= 0)
            start = res.engine.state_ids[res.start_list[i]]
            status = res.engine.state_ids[state]
            lines = [_status_line(rules, language, status, start, events, order_states[j])]
            if ship_cells[j] is not None:
                lines.append(_ship_by_line(rules, language))
            context = _Context(block, j)
            message = self.next_actions[state]
            actions = [message.render(language, context)] if message is not None else []
            timed: list[tuple[Any, str]] = []
            touched = res.touched.get(i, ())
            found = [(k, "generated") for k in touched if res.policies[k].pending[i]]  # as result.risks:
            found += [(k, "risk_deadline") for k in touched if res.policies[k].at_risk[i]
                      and not res.policies[k].pending[i]]  # the pending ones first, then the others
            for k, kind in found:
                pc = res.policies[k]
                policy = pc.policy
                key = (k, kind)
                if key not in risk_clocks:
                    risk_clocks[key] = block.clocks(getattr(pc, kind)[lo:hi])
                when, deadline = risk_clocks[key][j], getattr(pc, kind)[i]
                text = self._risk_text(k, i, when, context) if policy.risk is not None else ""
                if deadline >= self.now64:
                    if policy.risk is not None:
                        timed.append((deadline, say("risk_next", language, message=text, deadline=when)))
                else:
                    text += say("x_risk_late", language, deadline=when)
                ref = policy.risk.ref if policy.risk else policy.rule.ref
                lines.append(say("x_risk", language, name=policy.name(language), message=text,
                                 rule=policy.rule.id, ref=ref))
            actions.extend(text for _, text in sorted(timed, key=lambda t: t[0]))
            out.append({
                "Validation": self.ok,
                "Status": self.labels[state],
                "Next Action": self.sep.join(a for a in actions if a),
                "Ship By": ship_cells[j],
                "Fines (USD)": 0,
                "Appeal Deadline": None,
                "Suspended Until": None,
                "Explanation": " | ".join(lines),
            })
        return out

    def _risk_text(self, k: int, i: int, when: str, context: _Context) -> str:
        """present._risk_text, with the amount from the batch's columns."""
        policy = self.res.policies[k].policy
        message = policy.risk.message
        a = policy.amount
        value = a.fixed + a.plus
        if a.of is not None:
            bases = self.bases.get(k)
            if bases is None:
                bases = self.bases[k] = np.asarray(a.of.vfn(self.res.cols, self.res.n), dtype=float)
            base = float(bases[i])
            base = base if base == base and base else 0.0
            value += base * (a.percent / 100.0) if a.percent is not None else base
        if a.minimum is not None:
            value = max(value, a.minimum)
        amount = money(value)
        key = None
        if message.names <= {"amount"}:
            key = ("risk", self.language, policy.rule.id, amount)
            hit = self.rules.memo.get(key)
            if hit is not None:
                return hit
        text = message.render(self.language, context.with_values(deadline=when, amount=f"{amount:.2f}"))
        if key is not None:
            self.rules.memo[key] = text
        return text

    def rows(self) -> Iterator[dict[str, Any]]:
        for lo in range(0, self.res.n, BLOCK):
            yield from self.cells(lo, min(lo + BLOCK, self.res.n))


__all__ = ["BatchPresenter", "OUTPUT_COLUMNS", "nearest_deadline"]
