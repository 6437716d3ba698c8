"""The one evaluation pipeline every adapter calls.

    orders (dicts of typed field values, instants in UTC)
      -> batch facts (now, duplicates, stock)
      -> derived values
      -> validation
      -> workflow status and ship-by time
      -> fines, suspensions, appeal deadlines and risks

`evaluate` computes data only; `render` (in present.py) turns a result into the
words and cells a merchant reads. Splitting the two keeps evaluation cheap on a
million rows and lets the Excel functions reuse either half.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from addin.domain import policies as policy_engine
from addin.domain.messages import say
from addin.domain.model import ERROR, Issue, OrderResult, RuleSet
from addin.domain.fused import fuse_assignments
from addin.domain.policies import Screen
from addin.domain.validation import Checks, prepare_batch, summarize, validate
from addin.domain.workflow import Walker

# Names the engine sets after validation and the workflow; later stages may use them.
STAGE_NAMES = {
    "has_errors": "bool",
    "has_warnings": "bool",
    "contact_customer": "bool",
    "ship_by": "datetime",
    "status": "text",
}


class Engine:
    """A rule set made ready to evaluate many batches (indexes built once)."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.walker = Walker(rules.workflow)
        self._with_inventory = Checks(rules.validations)
        self._without_inventory = Checks(r for r in rules.validations if not r.needs_inventory)
        self.screen = Screen(rules.policies)
        self.derive = fuse_assignments([(d.name, d.expr) for d in rules.derived])

    def evaluate(
        self,
        orders: Sequence[dict[str, Any]],
        now: datetime,
        inventory: Mapping[str, float] | None = None,
        language: str | None = None,
    ) -> list[OrderResult]:
        """Evaluate every order. `orders` are mutated: batch facts and derived values are added to them.

        The cyclic garbage collector is paused for the loop: it would otherwise rescan the
        growing set of results again and again (15 % of the time at 100k orders), and the
        loop creates no reference cycles for it to find.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._evaluate(orders, now, inventory, language)
        finally:
            if collecting:
                gc.enable()

    def _evaluate(
        self,
        orders: Sequence[dict[str, Any]],
        now: datetime,
        inventory: Mapping[str, float] | None,
        language: str | None,
    ) -> list[OrderResult]:
        from addin.domain.present import message_context

        rules = self.rules
        language = language or rules.language
        zones = rules.zones
        calendar = rules.calendar.calendar
        validations = self._with_inventory if inventory is not None else self._without_inventory
        ship_by = rules.workflow.ship_by
        ship_hours = timedelta(hours=ship_by.hours)
        prepare_batch(orders, now, inventory)

        def context(order: Mapping[str, Any]) -> dict[str, Any]:
            return message_context(order, rules, language)

        results = []
        for order in orders:
            result = OrderResult()
            result.issues = issues = list(order.get("_issues") or ())
            if not self.derive(order):
                self._derive_one_by_one(order, issues, language)
            issues.extend(validate(order, validations, language, context))
            order["has_errors"], order["has_warnings"], order["contact_customer"] = summarize(issues)

            start = order.get(ship_by.start_field)
            order["ship_by"] = result.ship_by = start + ship_hours if start is not None else None

            state, problem = self.walker.start(order, language)
            result.start_state = state
            if problem is not None:
                issues.append(problem)
            try:
                state, events = self.walker.settle(order, state)
                if events:
                    result.status_events = events
            except Exception as e:  # noqa: BLE001
                issues.append(Issue(ERROR, say("rule_failed", language, rule="workflow", error=e), "workflow"))
            order["status"] = result.status = state

            fines, risks, failures = policy_engine.assess(order, self.screen, calendar, zones)
            for policy, error in failures:
                issues.append(Issue(ERROR, say("rule_failed", language, rule=policy.rule.id, error=error),
                                    policy.rule.id, policy.rule.ref))
            if fines:
                result.fines = fines
            if risks:
                result.risks = risks
            if fines:
                result.appeal_deadline = nearest_deadline(fines, now)
                ends = [f.suspended_until for f in fines if f.suspended_until is not None]
                result.suspended_until = max(ends) if ends else None
            results.append(result)
        return results


    def _derive_one_by_one(self, order: dict[str, Any], issues: list[Issue], language: str) -> None:
        for derived in self.rules.derived:
            try:
                order[derived.name] = derived.expr.fn(order)
            except Exception as e:  # noqa: BLE001 - reported on the row
                order[derived.name] = None
                issues.append(Issue(ERROR, say("rule_failed", language, rule=derived.name, error=e),
                                    derived.name, derived.ref))


def nearest_deadline(fines: Sequence[Any], now: datetime) -> datetime | None:
    """The earliest appeal deadline still open at `now`; when all have passed, the earliest of them."""
    deadlines = [f.appeal_deadline for f in fines if f.appealable and f.appeal_deadline is not None]
    if not deadlines:
        return None
    open_ = [d for d in deadlines if d >= now]
    return min(open_) if open_ else min(deadlines)
