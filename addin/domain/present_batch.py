"""The computed columns of a whole batch, a block of rows at a time, without an OrderResult per order.

present.render() is the reference: it turns one order's OrderResult into words. At a hundred
thousand orders its generic path (an aware datetime, a zone conversion and a strftime per
instant, a Fine and an AtRisk object per finding, a mapping lookup per value) is most of the
run, so this module makes the same cells from the batch engine's columns: instants become
wall-clock times and 'YYYY-MM-DD HH:MM' texts with numpy, a block of rows at once, and only the
joining of words is left per row. The sentences themselves come from the same catalog, rule
messages and helpers as render() (its memoised status and ship-by lines included).

A row's issues (a cell that could not be read, a failed validation rule, an unknown Wish state,
a policy that could not be applied) are made by BatchResult.issues_of, as result() makes them,
and said by present.py's own helpers; a fined row's fines are said from the columns
(present_fines.py), as a sixth of a busy shop's orders carry one. tests/test_present_batch.py
holds the cells to render()'s, order by order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from addin.domain.columns import clock_strings, utc_to_local, value_at
from addin.domain.engine import nearest_deadline
from addin.domain.messages import CATALOG, say
from addin.domain.packed import Packed
from addin.domain.present_fines import BlockFines
from addin.domain.model import RuleSet
from addin.domain.policies import money
from addin.domain.model import OrderResult, fine_id
from addin.domain.present import (
    MessageContext, Shown, issue_line, issue_lines, ledger_row, _number, _ship_by_line, _status_line,
    message_context,
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
        self.fines: BlockFines | None = None  # its fined orders' fines, made ready (present_fines.py)

    def shown(self, name: str, j: int, default: Any) -> Any:
        """What MessageContext.get(name) gives for row lo + j."""
        column = self._shown.get(name)
        if column is None:
            column = self._shown[name] = self._column(name)
        value = column[j] if column is not _ONE_BY_ONE else self._one(name, self.lo + j)
        return default if value is _ABSENT else value

    def _column(self, name: str) -> Any:
        """A whole block's values of a name (instants: a numpy conversion for all rows at once), or
        _ONE_BY_ONE for values made only for the rows that ask (few rows show a text field)."""
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
        if not isinstance(col, (np.ndarray, Packed)):  # a batch-wide scalar ("now")
            return [message_context(p.res.row(self.lo), p.rules, p.language).get(name)] * n
        return _ONE_BY_ONE

    def _one(self, name: str, i: int) -> Any:
        value = value_at(self.p.res.cols[name], i)
        if isinstance(value, bool):
            return Shown(say("yes" if value else "no", self.p.language), value)
        if isinstance(value, float):
            return _number(value)
        return value

    def clocks(self, instants: np.ndarray) -> list[str]:
        return clock_strings(utc_to_local(instants, self.p.rules.zones.workbook))


_ABSENT = object()
_ONE_BY_ONE = object()


class BatchPresenter:
    """render()'s cells for every order of a BatchResult, in order, a block of rows at a time."""

    def __init__(self, res: Any, rules: RuleSet, language: str,
                 cell_of: Callable[[Any, str | None], str | None] | None = None,
                 on_result: Callable[[Any, Any], None] | None = None):
        """cell_of(order, field): where a field's cell is, for Validation's messages; on_result(order,
        result): called for each row with issues or fines (the rows a report counts) with an
        OrderResult holding what a report reads: its issues, fines and the two deadlines."""
        self.res, self.rules, self.language = res, rules, language
        self.cell_of, self.on_result = cell_of, on_result
        n = res.n
        slow = res.unknown.astype(bool)
        slow[list(res.failing)] = True
        slow[list(res.batch.cell_issues)] = True
        fined = np.zeros(n, dtype=bool)
        for pc in res.policies:
            slow[list(pc.failures)] = True
            fined |= pc.fined
        self.slow, self.fined = slow, fined
        states = rules.workflow.states
        ids = res.engine.state_ids
        self.labels = [states[s].label(language) if s in states else s for s in ids]
        self.next_actions = [states[s].next_action if s in states else None for s in ids]
        self.auto_ids = [e.rule.id for e in res.engine.auto]
        self.ok = CATALOG["ok"](language)
        self.sep = "；" if language == "zh" else "; "
        self.now_int = int(np.datetime64(res.cols["now"], "us").view(np.int64))
        self.status_lines: dict[tuple[Any, ...], str] = {}
        self.fixed_actions = [m.render(language, {}) if m is not None and not m.names else None
                              for m in self.next_actions]
        self.state_ids = res.engine.state_ids
        self.ship_by_line = _ship_by_line(rules, language)
        self.risk_next, self.risk_late, self.x_risk = (CATALOG[key](language) for key in
                                                       ("risk_next", "x_risk_late", "x_risk"))
        self.bases: dict[int, np.ndarray] = {}  # policy -> amount base over all rows (risk and fine texts)

    def cells(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """The computed cells of orders lo..hi-1, as render() gives them."""
        res, rules, language = self.res, self.rules, self.language
        block = _Block(self, lo, hi)
        if self.fined[lo:hi].any():
            block.fines = BlockFines(res, rules, language, lo, hi, self.bases, self.on_result is not None)
        cols = res.cols
        ship = utc_to_local(cols["ship_by"][lo:hi], rules.zones.workbook)
        ship_cells = ship.astype(object).tolist()
        order_states = cols["order_state"][lo:hi].tolist()  # text: None or str, as value_at gives
        risk_clocks: dict[tuple[int, str], tuple[list[str], list[int]]] = {}
        found: dict[int, list[tuple[int, str]]] = {}  # row in block -> its risks, as result.risks orders
        for kind, mask in (("generated", "pending"), ("risk_deadline", "at_risk")):  # them: pending first
            for k, pc in enumerate(res.policies):
                rows = getattr(pc, mask)[lo:hi]
                if kind == "risk_deadline":
                    rows = rows & ~pc.pending[lo:hi] & ~pc.fined[lo:hi]
                hits = np.flatnonzero(rows).tolist()
                if hits:
                    instants = getattr(pc, kind)[lo:hi]
                    risk_clocks[(k, kind)] = (block.clocks(instants), instants.view(np.int64).tolist())
                    for j in hits:
                        found.setdefault(j, []).append((k, kind))
        fined, slow = self.fined[lo:hi].tolist(), self.slow[lo:hi].tolist()
        states, starts = res.state[lo:hi].tolist(), res.start[lo:hi].tolist()
        steps = res.steps[lo:hi].tolist()
        return [self._row(block, j, i, ship_cells[j], order_states[j], found.get(j, ()), risk_clocks, fined[j],
                          slow[j], states[j], starts[j], steps[j]) for j, i in enumerate(range(lo, hi))]

    def _row(self, block: _Block, j: int, i: int, ship_by: Any, order_state: Any, found: Any,
             risk_clocks: dict[tuple[int, str], tuple[list[str], list[int]]], fined: bool, slow: bool, state: int,
             start_state: int, steps: list[int]) -> dict[str, Any]:
        """render()'s cells for an order, from the batch's columns (slow: it may have issues)."""
        res, rules, language = self.res, self.rules, self.language
        key = (state, start_state, tuple(steps), order_state)
        status_line = self.status_lines.get(key)
        if status_line is None:
            events = tuple(self.auto_ids[k] for k in steps if k >= 0)
            status_line = self.status_lines[key] = _status_line(
                rules, language, self.state_ids[state], self.state_ids[start_state], events, order_state)
        context = _Context(block, j)
        issues = res.issues_of(i, context) if slow else ()
        lines = issue_lines(issues, language) if issues else []
        lines.append(status_line)
        if ship_by is not None:
            lines.append(self.ship_by_line)
        message = self.next_actions[state]
        if message is None:
            actions = []
        elif not message.names:  # the same words for every order in this state
            actions = [self.fixed_actions[state]]
        else:
            actions = [message.render(language, context)]
        timed: list[tuple[Any, str]] = []
        risk_lines = []
        now = self.now_int
        for k, kind in found:
            policy = res.policies[k].policy
            clocks, instants = risk_clocks[(k, kind)]
            when, deadline = clocks[j], instants[j]
            text = self._risk_text(k, i, when, context) if policy.risk is not None else ""
            if deadline >= now:
                if policy.risk is not None:
                    timed.append((deadline, self.risk_next.format(message=text, deadline=when)))
            else:
                text += self.risk_late.format(deadline=when)
            ref = policy.risk.ref if policy.risk else policy.rule.ref
            risk_lines.append(self.x_risk.format(name=policy.name(language), message=text, rule=policy.rule.id,
                                                 ref=ref))
        cells = {"Validation": self.ok, "Status": self.labels[state], "Next Action": "", "Ship By": ship_by,
                 "Fines (USD)": 0, "Appeal Deadline": None, "Suspended Until": None, "Explanation": ""}
        fines: Any = ()
        if fined:
            total, appeal, suspended, fines = block.fines.explain(j, context, lines, timed, now)  # type: ignore[union-attr]
            cells["Fines (USD)"], cells["Appeal Deadline"], cells["Suspended Until"] = total, appeal, suspended
        if issues:
            order = res.row(i)
            where = self.cell_of
            cells["Validation"] = "\n".join(issue_line(issue, language, (lambda f: where(order, f)) if where else None)
                                            for issue in issues)
        if (issues or fined) and self.on_result is not None:  # what a report counts
            result = OrderResult()
            result.issues = list(issues)
            if fined:
                result.fines = fines
                result.appeal_deadline = nearest_deadline(fines, res.now)
                ends = [f.suspended_until for f in fines if f.suspended_until is not None]
                result.suspended_until = max(ends) if ends else None
            self.on_result(res.row(i), result)
        lines.extend(risk_lines)
        actions.extend(text for _, text in sorted(timed, key=lambda t: t[0]))
        cells["Next Action"] = self.sep.join(a for a in actions if a)
        cells["Explanation"] = " | ".join(lines)
        return cells

    def _risk_text(self, k: int, i: int, when: str, context: _Context) -> str:
        """present._risk_text, with the amount from the batch's columns."""
        policy = self.res.policies[k].policy
        message = policy.risk.message
        if not message.names:  # no placeholder: the same sentence for every order
            key = ("risk", self.language, policy.rule.id)
            hit = self.rules.memo.get(key)
            if hit is None:
                hit = self.rules.memo[key] = message.render(self.language, {})
            return hit
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


__all__ = ["BatchPresenter", "BatchLedger"]


class BatchLedger:
    """present.ledger_rows of every fined order's fines, in order (tests hold the two to the same rows),
    made when iterated, LEDGER_ORDERS orders at a time, their times converted a policy at a time: the
    190,000 fines of a million orders are never held as rows at once (they were 150 MB)."""

    def __init__(self, res: Any, rules: RuleSet, language: str):
        self.res, self.rules, self.language = res, rules, language
        self.count = int(sum(np.count_nonzero(pc.fined) for pc in res.policies))

    def __len__(self) -> int:
        return self.count

    def fine_ids(self) -> Iterator[str]:
        """The rows' Fine IDs (in no particular order), without making the rows."""
        ids = self.res.cols["order_id"]
        for pc in self.res.policies:
            rule = pc.policy.rule.id
            for i in np.flatnonzero(pc.fined).tolist():
                yield fine_id(value_at(ids, i), rule)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for lo in range(0, self.res.n, LEDGER_ORDERS):
            yield from self._rows(lo, min(lo + LEDGER_ORDERS, self.res.n))

    def _rows(self, lo: int, hi: int) -> Iterator[dict[str, Any]]:
        res, language, zone = self.res, self.language, self.rules.zones.workbook
        found: list[tuple[int, int]] = []
        fines: dict[int, Iterator[tuple[Any, ...]]] = {}  # policy -> its fines' values, in row order
        ids, products = res.cols["order_id"], res.cols["product_id"]
        for k, pc in enumerate(res.policies):
            rows = np.flatnonzero(pc.fined[lo:hi]) + lo
            if not len(rows):
                continue
            at = rows.tolist()
            appealable = [w >= 0 and pc.policy.appeal[w].appealable for w in pc.window[rows].tolist()]
            generated, deadline, suspended = (utc_to_local(times[rows], zone).astype(object).tolist()
                                              for times in (pc.generated, pc.deadline, pc.suspended))
            fines[k] = iter(zip([value_at(ids, i) for i in at], [value_at(products, i) for i in at],
                                pc.amount[rows].tolist(), generated, appealable, deadline, suspended))
            found.extend((i, k) for i in at)
        for _, k in sorted(found):  # by order, then by policy: as each order's result lists its fines
            order_id, product_id, amount, generated, appealable, deadline, suspended = next(fines[k])
            policy = res.policies[k].policy
            yield ledger_row(fine_id(order_id, policy.rule.id), policy, order_id, product_id, amount, generated,
                             appealable, deadline, suspended, language)


LEDGER_ORDERS = 50_000

