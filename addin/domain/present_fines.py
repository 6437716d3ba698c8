"""The fines of a block of orders in words and cells, from the batch engine's columns.

present.py says a fine from its Fine object: its amount's base read again from the order, each
instant converted to two zones and formatted on its own (about 55 µs an order; a sixth of the
orders of a busy shop are fined). Here a block's fines are read a policy at a time: amounts,
windows and bases as lists, deadlines and suspensions as clock texts made with numpy, and only
the sentence is put together per fine, by present.fine_sentence, the function render() uses
too. tests/test_present_batch.py holds the cells to render()'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from addin.domain.calendar import UTC
from addin.domain.columns import NAT_INT, clock_strings, utc_to_local, value_at
from addin.domain.messages import say
from addin.domain.model import Fine, RuleSet
from addin.domain.batch_result import batch_fine
from addin.domain.present import clocks_shown, fine_sentence, how_amount


class _PolicyFines:
    """One policy's fines on a block's rows: each value a list, in row order."""

    def __init__(self, res: Any, rules: RuleSet, k: int, rows: np.ndarray, bases: np.ndarray | None,
                 with_fines: bool):
        pc = res.policies[k]
        zones = rules.zones
        self.policy = pc.policy
        self.amounts = pc.amount[rows].tolist()
        self.windows = pc.window[rows].tolist()
        self.bases = None if bases is None else [b if b == b and b else 0.0 for b in bases[rows].tolist()]
        deadline = pc.deadline[rows].astype("datetime64[us]")
        suspended = pc.suspended[rows].astype("datetime64[us]")
        self.deadline_us = deadline.view(np.int64).tolist()
        self.suspended_us = suspended.view(np.int64).tolist()
        local_deadline = utc_to_local(deadline, zones.workbook)
        local_suspended = utc_to_local(suspended, zones.workbook)
        self.deadline_local = local_deadline.astype(object).tolist()  # naive wall-clock datetimes (None: NaT)
        self.suspended_local = local_suspended.astype(object).tolist()
        self.deadline_clock = clock_strings(local_deadline)
        self.deadline_shown = _both_clocks(deadline, self.deadline_clock, zones)
        self.suspended_shown = _both_clocks(suspended, clock_strings(local_suspended), zones)
        self.fines: list[Fine] | None = None
        if with_fines:  # the Fine objects a report counts (Tally), as batch_result makes them
            ids, products = res.cols["order_id"], res.cols["product_id"]
            at = rows.tolist()
            generated = _aware(pc.generated[rows])
            deadlines, ends = _aware(deadline), _aware(suspended)
            self.fines = [batch_fine(self.policy, value_at(ids, i), value_at(products, i), self.amounts[m],
                                     self.windows[m], generated[m], deadlines[m], ends[m]) for m, i in enumerate(at)]


class BlockFines:
    """The fined orders among rows lo..hi of a batch, their fines' values converted once for the block."""

    def __init__(self, res: Any, rules: RuleSet, language: str, lo: int, hi: int, bases: dict[int, np.ndarray],
                 with_fines: bool):
        """bases: policy -> the value its amount is computed from, over all rows (filled in as needed)."""
        self.rules, self.language, self.with_fines = rules, language, with_fines
        self.by_row: dict[int, list[tuple[_PolicyFines, int]]] = {}  # row in block -> its fines, in policy order
        for k, pc in enumerate(res.policies):
            hits = np.flatnonzero(pc.fined[lo:hi])
            if not len(hits):
                continue
            of = pc.policy.amount.of
            if of is not None and k not in bases:
                bases[k] = np.asarray(of.vfn(res.cols, res.n), dtype=float)
            fines = _PolicyFines(res, rules, k, hits + lo, bases.get(k) if of is not None else None, with_fines)
            for m, j in enumerate(hits.tolist()):
                self.by_row.setdefault(j, []).append((fines, m))

    def explain(self, j: int, context: Any, lines: list[str], timed: list[tuple[int, str]], now_us: int
                ) -> tuple[float, datetime | None, datetime | None, list[Fine] | None]:
        """Row j's fines: their Explanation lines and open appeals (added to lines and timed, as
        present.explain and next_action add them), and its Fines, Appeal Deadline and Suspended
        Until cells; with its Fine objects when they were asked for."""
        language, memo = self.language, self.rules.memo
        total = 0.0
        open_at = any_at = end_at = None  # (instant in µs, its local datetime)
        fines: list[Fine] = []
        for pf, m in self.by_row[j]:
            policy = pf.policy
            message = policy.reason
            if message is None:
                reason = ""
            elif not message.names:  # the same words on every fine of the policy
                key = ("reason", language, policy.rule.id)
                reason = memo.get(key)
                if reason is None:
                    reason = memo[key] = message.render(language, {})
            else:
                reason = message.render(language, context)
            w = pf.windows[m]
            window = policy.appeal[w] if w >= 0 else None
            deadline, end = pf.deadline_us[m], pf.suspended_us[m]
            amount = pf.amounts[m]
            lines.append(fine_sentence(
                policy, amount, reason, how_amount(policy.amount, pf.bases[m] if pf.bases is not None else None,
                                                   language),
                window, pf.deadline_shown[m] if deadline != NAT_INT else None,
                pf.suspended_shown[m] if end != NAT_INT else None, language))
            total += amount
            if window is not None and window.appealable and deadline != NAT_INT:
                local = pf.deadline_local[m]
                if deadline >= now_us:
                    timed.append((deadline, say("appeal_next", language, name=policy.name(language),
                                                deadline=pf.deadline_clock[m])))
                    if open_at is None or deadline < open_at[0]:
                        open_at = (deadline, local)
                if any_at is None or deadline < any_at[0]:
                    any_at = (deadline, local)
            if end != NAT_INT and (end_at is None or end > end_at[0]):
                end_at = (end, pf.suspended_local[m])
            if pf.fines is not None:
                fines.append(pf.fines[m])
        nearest = open_at or any_at  # engine.nearest_deadline: the earliest open one, else the earliest
        return (round(total, 2), nearest[1] if nearest else None, end_at[1] if end_at else None,
                fines if self.with_fines else None)


def _both_clocks(instants: np.ndarray, local_clocks: list[str], zones: Any) -> list[str]:
    """present.both_clocks of each instant (NaT: '')."""
    theirs = clock_strings(utc_to_local(instants, zones.policy)) if zones.workbook.key != zones.policy.key \
        else [""] * len(local_clocks)
    return [clocks_shown(own, policy, zones) if own else "" for own, policy in zip(local_clocks, theirs)]


def _aware(instants: np.ndarray) -> list[datetime | None]:
    """datetime64 values as aware UTC datetimes (NaT: None), as batch_result gives them."""
    return [None if v is None else v.replace(tzinfo=UTC)
            for v in instants.astype("datetime64[us]").astype(object).tolist()]
