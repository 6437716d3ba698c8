"""The batch engine: the same pipeline as engine.py, one numpy call per rule over all orders.

The row engine (engine.py) evaluates one order at a time and is the reference; this
one evaluates each rule once over whole columns (vexpr.py), which is what a million
orders need. Per-row Python work is left only where the answer is rare or needs a
ledger's exactness: stock reservation, business-day deadlines of fined rows, cent
rounding. `BatchResult.result(i)` gives the same OrderResult the row engine gives
(tests/test_batch.py holds the two to that), so presentation is shared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from addin.domain.calendar import UTC
from addin.domain.columns import FIELD_TYPES, column, to_columns
from addin.domain.helpers import BOOL, NUMBER, TEXT
from addin.domain.model import ERROR, WARNING, Issue, Policy, RuleSet
from addin.domain.policies import appeal_deadline, money
from addin.domain.packed import Unpacking
from addin.domain.sparse import Sparse
from addin.domain.vexpr import _pt, forget_helper_results, helper_memo, to_datetime64
from addin.domain.workflow import _fold, kept_states

NAT = np.datetime64("NaT", "us")
_NO_STOCK = object()  # a SKU the inventory does not list


@dataclass
class Batch:
    """Orders as columns, with what the reader found wrong in their cells."""

    columns: dict[str, np.ndarray]
    n: int
    cell_issues: dict[int, list[Issue]] = field(default_factory=dict)  # row index -> issues from reading
    bad: dict[str, np.ndarray] = field(default_factory=dict)  # field -> rows whose cell could not be read
    rows: Sequence[int] = field(default_factory=list)  # sheet row of each order (for duplicate messages)
    shown_status: list[Any] | None = None  # the Status the sheet showed (a state only the merchant sets is kept)

    @classmethod
    def from_rows(cls, orders: Sequence[Mapping[str, Any]], rules: RuleSet) -> Batch:
        types = {name: FIELD_TYPES[f.type] for name, f in rules.fields.items()}
        batch = cls(to_columns(orders, types), len(orders), rows=[o.get("_row", i + 2) for i, o in enumerate(orders)])
        for i, o in enumerate(orders):
            if o.get("_issues"):
                batch.cell_issues[i] = list(o["_issues"])
            for name in o.get("_bad") or ():
                batch.bad.setdefault(name, np.zeros(len(orders), dtype=bool))[i] = True
        if any(o.get("_shown_status") is not None for o in orders):
            batch.shown_status = [o.get("_shown_status") for o in orders]
        return batch

    @classmethod
    def from_table(cls, table: Any) -> Batch:
        """A batch of the orders a reader (io/reader.py OrdersTable) read as columns."""
        return cls(table.columns, table.n, table.cell_issues, table.bad, table.order_rows, table.shown_status)


@dataclass
class PolicyColumns:
    """One policy over the batch: who is fined, when, how much, until when they may appeal.

    The masks are dense; the values, which exist on few rows, are domain/sparse.py columns."""

    policy: Policy
    fined: np.ndarray
    generated: Sparse  # on fined and pending rows
    amount: Sparse  # on fined rows, as window, deadline and suspended
    window: Sparse  # index into policy.appeal, -1 none
    deadline: Sparse
    suspended: Sparse
    pending: np.ndarray  # condition holds, fine still ahead: at risk until `generated`
    at_risk: np.ndarray  # the policy's own risk condition holds
    risk_deadline: Sparse  # on rows at risk
    failures: dict[int, Exception] = field(default_factory=dict)  # rows on which the policy could not be applied


class BatchEngine:
    """A rule set made ready to evaluate batches of columns."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        workflow = rules.workflow
        self.state_ids = list(workflow.states)
        self.code = {s: i for i, s in enumerate(self.state_ids)}
        self.auto = [e for e in workflow.events if e.auto]
        self.kept = kept_states(workflow)

    def evaluate(self, batch: Batch, now: datetime, inventory: Mapping[str, float] | None = None,
                 language: str | None = None) -> Any:
        from addin.domain.batch_result import BatchResult

        rules, n = self.rules, batch.n
        cols = Unpacking(batch.columns)  # packed text read as object arrays, a stage at a time (domain/packed.py)
        now64 = to_datetime64(now)
        with np.errstate(all="ignore"), helper_memo():
            self._batch_facts(cols, batch, now64, inventory)
            for d in rules.derived:
                cols[d.name] = d.expr.vfn(cols, n)
            failed = self._validate(cols, batch, inventory is not None)
            self._summarize(cols, batch, failed)
            self._stage_over(cols)
            ship = rules.workflow.ship_by
            cols["ship_by"] = cols[ship.start_field] + np.timedelta64(int(ship.hours * 3600e6), "us")
            start, unknown, state, path = self._walk(cols, n, batch.shown_status)
            cols["status"] = np.array(self.state_ids, dtype=object)[state]
            policies = []
            for p in rules.policies:
                policies.append(self._policy(p, cols, n, now64))
                self._stage_over(cols)
        return BatchResult(self, batch, cols.columns(), now, language or rules.language, failed, start, unknown,
                           state, path, policies)

    @staticmethod
    def _stage_over(cols: Unpacking) -> None:
        """What a stage made to read its columns goes before the next (a million orders' worth each)."""
        cols.release()
        forget_helper_results()

    # -- the stages -------------------------------------------------------------------------
    def _batch_facts(self, cols: dict[str, Any], batch: Batch, now64: Any,
                     inventory: Mapping[str, float] | None) -> None:
        n = batch.n
        cols["now"] = now64
        ids = cols["order_id"]
        counts = Counter(ids)
        twice = {v for v, c in counts.items() if c > 1 and v is not None}
        dup = np.zeros(n, dtype=bool)
        shown = [None] * n
        if twice:
            dup = np.fromiter((v in twice for v in ids), dtype=bool, count=n)
            where: dict[Any, list[str]] = {}
            for i in np.flatnonzero(dup):
                where.setdefault(ids[i], []).append(str(batch.rows[i]))
            for i in np.flatnonzero(dup):
                shown[i] = ", ".join(where[ids[i]])
        cols["duplicate_order_id"] = dup
        cols["duplicate_rows"] = column(shown, TEXT)
        known, on_hand, available = [None] * n, [None] * n, [None] * n
        if inventory is not None:
            self._reserve(cols, batch, inventory, known, on_hand, available)
        cols["sku_known"] = column(known, BOOL)
        cols["stock_on_hand"] = column(on_hand, NUMBER)
        cols["stock_available"] = column(available, NUMBER)

    def _reserve(self, cols: dict[str, Any], batch: Batch, inventory: Mapping[str, float],
                 known: list, on_hand: list, available: list) -> None:
        """Stock first come, first served by release time (as validation.prepare_batch does for rows)."""
        skus, shipped, refunded = cols["sku"], _pt(cols["shipped_at"]), _pt(cols["refunded_at"])
        released, quantity = cols["released_at"], cols["quantity"]
        names = [None if sku is None else str(sku) for sku in skus.tolist()]
        stock = [inventory.get(name, _NO_STOCK) if name is not None else _NO_STOCK for name in names]
        known[:] = [v is not _NO_STOCK for v in stock]
        on_hand[:] = [None if v is _NO_STOCK else v for v in stock]
        needing = np.flatnonzero(np.array(known, dtype=bool) & ~np.asarray(shipped, dtype=bool)
                                 & ~np.asarray(refunded, dtype=bool)).tolist()
        if needing:  # by release time (blank: last), then sheet row; numpy sorts, not Python comparisons
            at = np.array(needing)
            when = released[at].astype("datetime64[us]").view(np.int64)
            when = np.where(np.isnat(released[at]), np.datetime64("9999-12-31", "us").view(np.int64), when)
            rows = np.asarray(batch.rows)[at] if len(batch.rows) else at + 2
            needing = at[np.lexsort((rows, when))].tolist()
        reserved: Counter[str] = Counter()
        quantities = quantity.tolist()
        for i in needing:
            sku = names[i]
            left = inventory[sku] - reserved[sku]
            available[i] = left
            qty = quantities[i]
            if qty == qty and 0 < qty <= left:
                reserved[sku] += qty

    def _validate(self, cols: dict[str, Any], batch: Batch, with_inventory: bool) -> list[np.ndarray | None]:
        failed: list[np.ndarray | None] = []
        for rule in self.rules.validations:
            if rule.needs_inventory and not with_inventory:
                failed.append(None)
                continue
            mask = ~rule.check.vfn(cols, batch.n)
            if rule.when is not None:
                mask &= rule.when.vfn(cols, batch.n)
            if rule.field is not None and rule.field in batch.bad:
                mask &= ~batch.bad[rule.field]
            failed.append(mask)
        return failed

    def _summarize(self, cols: dict[str, Any], batch: Batch, failed: list[np.ndarray | None]) -> None:
        n = batch.n
        errors, warnings, contact = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        for rule, mask in zip(self.rules.validations, failed):
            if mask is None:
                continue
            (errors if rule.severity == ERROR else warnings)[:] |= mask
            if rule.contact_customer:
                contact |= mask
        for i, issues in batch.cell_issues.items():
            for issue in issues:
                errors[i] |= issue.severity == ERROR
                warnings[i] |= issue.severity == WARNING
                contact[i] |= issue.contact_customer
        cols["has_errors"], cols["has_warnings"], cols["contact_customer"] = errors, warnings, contact

    def _walk(self, cols: dict[str, Any], n: int,
              shown: list[Any] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """Start states from the Wish Order State, then automatic events, all rows at once."""
        workflow = self.rules.workflow
        initial = self.code[workflow.initial]
        exact = {k: self.code[v] for k, v in workflow.wish_states.items()}
        start = np.full(n, initial, dtype=np.int16)
        states = cols["order_state"]
        matched = np.equal(states, None)
        for key, code in exact.items():  # the usual case: written exactly as Wish does
            hit = np.equal(states, key)
            start[hit] = code
            matched |= hit
        unknown = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(~matched):
            code = exact.get(str(states[i]).strip().upper())
            if code is None:
                unknown[i] = True
            else:
                start[i] = code
        if shown is not None and self.kept:
            for i, value in enumerate(shown):
                sid = self.kept.get(_fold(value)) if value is not None else None
                if sid is not None:
                    start[i], unknown[i] = self.code[sid], False
        guards = [e.when.vfn(cols, n) if e.when is not None else np.ones(n, bool) for e in self.auto]
        state, path = start.copy(), []
        for _ in range(workflow.max_steps):
            step = np.full(n, -1, dtype=np.int16)
            for s, sid in enumerate(self.state_ids):
                here = state == s
                if not here.any():
                    continue
                for k, event in enumerate(self.auto):
                    if event.allowed_from(sid) and event.target != sid:
                        take = here & guards[k] & (step < 0)
                        step[take] = k
            moved = step >= 0
            if not moved.any():
                break
            targets = np.array([self.code[e.target] for e in self.auto], dtype=np.int16)
            state = np.where(moved, targets[np.maximum(step, 0)], state)
            path.append(step)
        return start, unknown, state, path

    def _policy(self, p: Policy, cols: dict[str, Any], n: int, now64: Any) -> PolicyColumns:
        met = p.when.vfn(cols, n)
        generated = p.generated_at.vfn(cols, n)
        eligible = met & _pt(generated) & self._effective(p, cols, generated, None)
        fined = eligible & (generated <= now64)
        pending = eligible & (generated > now64) if p.risk is not None else np.zeros(n, bool)
        at_risk, risk_deadline = np.zeros(n, bool), np.full(n, NAT)
        if p.risk is not None and p.risk.when is not None:
            risk_deadline = p.risk.deadline.vfn(cols, n)
            at_risk = p.risk.when.vfn(cols, n) & ~met & _pt(risk_deadline) & \
                self._effective(p, cols, risk_deadline, risk_deadline)
        amount = np.full(n, np.nan)
        window, deadline, suspended = np.full(n, -1, np.int16), np.full(n, NAT), np.full(n, NAT)
        rows = np.flatnonzero(fined)
        failures: dict[int, Exception] = {}
        if len(rows):
            self._fine_details(p, cols, rows, generated, amount, window, deadline, suspended, failures)
            for i in failures:
                fined[i] = False
        amount, window, deadline, suspended = (Sparse(rows, a[rows], fill, n) for a, fill in (
            (amount, np.nan), (window, -1), (deadline, NAT), (suspended, NAT)))
        return PolicyColumns(p, fined, Sparse.where(generated, fined | pending, NAT), amount, window, deadline,
                             suspended, pending, at_risk, Sparse.where(risk_deadline, at_risk, NAT), failures)

    def _effective(self, p: Policy, cols: dict[str, Any], generated: Any, blank_is: Any) -> np.ndarray:
        ok = np.ones(len(generated), dtype=bool)
        for eff in p.effective:
            value = generated if eff.field == "generated_at" else cols[eff.field]
            if blank_is is not None:
                value = np.where(_pt(value), value, blank_is)
            ok &= _pt(value)
            if eff.start is not None:
                start = to_datetime64(eff.start)
                ok &= (value >= start) if eff.start_inclusive else (value > start)
            if eff.end is not None:
                end = to_datetime64(eff.end)
                ok &= (value <= end) if eff.end_inclusive else (value < end)
        return ok

    def _fine_details(self, p: Policy, cols: dict[str, Any], rows: np.ndarray, generated: np.ndarray,
                      amount: np.ndarray, window: np.ndarray, deadline: np.ndarray, suspended: np.ndarray,
                      failures: dict[int, Exception]) -> None:
        """Amounts, appeal windows and suspensions of the fined rows (few: done row by row, to the cent)."""
        a = p.amount
        base = a.of.vfn(cols, len(generated))[rows] if a.of is not None else np.zeros(len(rows))
        base = np.where(np.isnan(base), 0.0, base)
        value = a.fixed + a.plus + (base * (a.percent / 100.0) if a.percent is not None else base) * (a.of is not None)
        if a.minimum is not None:
            value = np.maximum(value, a.minimum)
        cents = value * 100
        amount[rows] = value
        for j in np.flatnonzero(cents != np.floor(cents)):  # not whole cents: round half up, to the cent
            amount[rows[j]] = money(float(value[j]))
        calendar, zones = self.rules.calendar.calendar, self.rules.zones
        gen = generated[rows]
        assigned = np.zeros(len(rows), dtype=bool)
        for w, win in enumerate(p.appeal):
            cover = ~assigned
            if win.generated_from is not None:
                cover &= gen >= to_datetime64(win.generated_from)
            if win.generated_before is not None:
                cover &= gen < to_datetime64(win.generated_before)
            assigned |= cover
            idx = np.flatnonzero(cover)
            window[rows[idx]] = w
            if not win.appealable or win.no_deadline or not len(idx):
                continue
            if win.at is None and win.until is not None:
                deadline[rows[idx]] = to_datetime64(win.until)
            elif win.at is None and win.hours is not None:
                deadline[rows[idx]] = gen[idx] + np.timedelta64(int(win.hours * 3600e6), "us")
            else:  # business or calendar days: the local date and clock in the policy zone, row by row
                for j in idx:
                    when = gen[j].astype(datetime).replace(tzinfo=UTC)
                    try:
                        end = appeal_deadline(win, when, calendar, zones)
                    except ValueError as e:  # outside the calendar's years: reported on the row
                        failures[int(rows[j])] = e
                        continue
                    deadline[rows[j]] = to_datetime64(end) if end is not None else NAT
        if p.suspension_hours:
            suspended[rows] = generated[rows] + np.timedelta64(int(p.suspension_hours * 3600e6), "us")

