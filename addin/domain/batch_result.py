"""What the batch engine found, as columns, and each order's OrderResult made on demand.

`result(i)` builds exactly what the row engine returns for order i (issues in the
same order, same fines and risks), so present.py renders either one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import numpy as np

from addin.domain.batch import Batch, BatchEngine, PolicyColumns
from addin.domain.packed import Packed
from addin.domain.calendar import UTC
from addin.domain.columns import value_at
from addin.domain.engine import nearest_deadline
from addin.domain.messages import say
from addin.domain.model import ERROR, WARNING, AtRisk, Fine, Issue, OrderResult, fine_id
from addin.domain.present import message_context


def _instant(value: np.datetime64) -> datetime | None:
    return None if np.isnat(value) else value.astype(datetime).replace(tzinfo=UTC)


class RowView(Mapping[str, Any]):
    """Order i of a batch, read like the row engine's dict (values converted when asked)."""

    __slots__ = ("cols", "i", "sheet_row", "now")

    def __init__(self, cols: Mapping[str, Any], i: int, sheet_row: int, now: datetime | None = None):
        self.cols, self.i, self.sheet_row, self.now = cols, i, sheet_row, now

    def __getitem__(self, name: str) -> Any:
        if name == "_row":
            return self.sheet_row
        if name == "now" and self.now is not None:  # asked for on every row: converted once per batch
            return self.now
        col = self.cols[name]
        if isinstance(col, (np.ndarray, Packed)):
            return value_at(col, self.i)
        return _instant(col) if isinstance(col, np.datetime64) else col

    def __iter__(self) -> Iterator[str]:
        return iter(self.cols)

    def __len__(self) -> int:
        return len(self.cols)

    def __contains__(self, name: object) -> bool:
        return name in self.cols or name == "_row"


class BatchResult:
    def __init__(self, engine: BatchEngine, batch: Batch, cols: dict[str, Any], now: datetime, language: str,
                 failed: list[np.ndarray | None], start: np.ndarray, unknown: np.ndarray, state: np.ndarray,
                 path: list[np.ndarray], policies: list[PolicyColumns]):
        self.engine, self.batch, self.cols, self.now, self.language = engine, batch, cols, now, language
        self.failed = failed
        self.start, self.state, self.unknown = start, state, unknown  # per order, numpy
        self.policies = policies
        self.n = batch.n
        self._now = _instant(cols["now"])
        # Which rules fired on which rows, found once for all rows: result(i) then only looks up.
        self.failing: dict[int, list[int]] = {}
        for r, mask in enumerate(failed):
            if mask is not None:
                for i in np.flatnonzero(mask).tolist():
                    self.failing.setdefault(i, []).append(r)
        # Which policies fine, threaten or failed on each row, as bits (compact: a million rows are 4 MB).
        self.touch_bits = np.zeros(self.n, dtype=np.uint32)
        for k, pc in enumerate(policies):
            hit = pc.fined | pc.pending | pc.at_risk
            hit[list(pc.failures)] = True
            self.touch_bits[hit] |= np.uint32(1 << k)
        self.steps = np.stack(path, axis=1) if path else np.zeros((self.n, 0), dtype=np.int16)  # order x step

    def touched(self, i: int) -> list[int]:
        """The policies that fine, threaten or failed on order i, in policy order."""
        bits = int(self.touch_bits[i])
        return [k for k in range(len(self.policies)) if bits >> k & 1] if bits else []

    def __len__(self) -> int:
        return self.n

    def row(self, i: int) -> RowView:
        return RowView(self.cols, i, int(self.batch.rows[i]) if len(self.batch.rows) else i + 2, self._now)

    def fined_rows(self) -> list[int]:
        """The orders with at least one fine, in order."""
        fined = np.zeros(self.n, dtype=bool)
        for pc in self.policies:
            fined |= pc.fined
        return np.flatnonzero(fined).tolist()

    def fines_of(self, i: int) -> list[Fine]:
        """Order i's fines, as result(i).fines (for the Fines ledger, without the rest of its result)."""
        view = self.row(i)
        return [self._fine(self.policies[k], i, view) for k in self.touched(i) if self.policies[k].fined[i]]

    def results(self) -> list[OrderResult]:
        return [self.result(i) for i in range(self.n)]

    def issues_of(self, i: int, context: Mapping[str, Any] | None = None) -> list[Issue]:
        """Order i's issues, as result(i) lists them: its cells that could not be read, the validation
        rules it fails, an unknown Wish state, the policies that could not be applied to it.
        context: the values its messages show (message_context of the order when not given)."""
        rules, language = self.engine.rules, self.language
        issues = list(self.batch.cell_issues.get(i, ()))
        for r in self.failing.get(i, ()):
            rule = rules.validations[r]
            context = context or message_context(self.row(i), rules, language)
            issues.append(Issue(rule.severity, rule.message.render(language, context), rule.rule.id,
                                rule.rule.ref, rule.field, rule.contact_customer))
        if self.unknown[i]:
            known = ", ".join(sorted(rules.workflow.wish_states))
            issues.append(Issue(WARNING, say("unknown_wish_state", language, value=str(self.row(i)["order_state"]),
                                             known=known), "wish-states", rules.workflow.wish_states_ref,
                                "order_state"))
        for k in self.touched(i):
            pc = self.policies[k]
            if i in pc.failures:
                issues.append(Issue(ERROR, say("rule_failed", language, rule=pc.policy.rule.id,
                                               error=pc.failures[i]), pc.policy.rule.id, pc.policy.rule.ref))
        return issues

    def result(self, i: int) -> OrderResult:
        engine = self.engine
        view = self.row(i)
        out = OrderResult()
        out.issues = self.issues_of(i)
        out.start_state = engine.state_ids[int(self.start[i])]
        events = [engine.auto[k] for k in self.steps[i].tolist() if k >= 0]
        if events:
            out.status_events = events
        out.status = engine.state_ids[int(self.state[i])]
        out.ship_by = _instant(self.cols["ship_by"][i])
        fines, pending, risks = [], [], []
        for k in self.touched(i):
            pc = self.policies[k]
            if pc.fined[i]:
                fines.append(self._fine(pc, i, view))
            elif pc.pending[i]:
                pending.append(AtRisk(pc.policy, _instant(pc.generated[i]), ""))
            elif pc.at_risk[i]:
                risks.append(AtRisk(pc.policy, _instant(pc.risk_deadline[i]), ""))
        if fines:
            out.fines = fines
            out.appeal_deadline = nearest_deadline(fines, self.now)
            ends = [f.suspended_until for f in fines if f.suspended_until is not None]
            out.suspended_until = max(ends) if ends else None
        if pending or risks:
            out.risks = pending + risks
        return out

    def _fine(self, pc: PolicyColumns, i: int, view: RowView) -> Fine:
        return batch_fine(pc.policy, view["order_id"], view["product_id"], pc.amount[i], int(pc.window[i]),
                          _instant(pc.generated[i]), _instant(pc.deadline[i]), _instant(pc.suspended[i]))


def batch_fine(policy: Any, order_id: Any, product_id: Any, amount: float, window: int, generated: datetime | None,
               deadline: datetime | None, suspended: datetime | None) -> Fine:
    """A fine the batch engine found (window: index into policy.appeal, -1 none), as the row engine makes it."""
    appeal = policy.appeal[window] if window >= 0 else None
    return Fine(fine_id=fine_id(order_id, policy.rule.id), order_id=order_id, product_id=product_id, policy=policy,
                amount=float(amount), generated_at=generated,  # type: ignore[arg-type]
                appealable=appeal is not None and appeal.appealable, appeal_deadline=deadline,
                appeal_window=appeal, suspended_until=suspended)
