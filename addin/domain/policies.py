"""Fines, suspensions and appeal deadlines from the policy library.

The mechanisms live here: effective dating, a condition, the instant the fine
is generated, an amount (fixed, percentage with a minimum, base plus a fixed
sum), an elapsed-hour suspension, and appeal windows counted in business days,
calendar days or hours, or ending at a fixed instant. Every value (dates,
amounts, windows) comes from rules/policies.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from addin.domain.fused import fuse
from addin.domain.calendar import BusinessCalendar, Zones, add_business_days, add_calendar_days
from addin.domain.model import Amount, AppealWindow, AtRisk, Fine, Policy, fine_id

CENT = Decimal("0.01")


def money(value: float) -> float:
    """Round half up to the cent, as a ledger does (float rounding would turn 0.125 into 0.12)."""
    if value * 100 == int(value * 100):
        return float(value)  # already whole cents ($2.00, $50.00): no Decimal needed
    return float(Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_UP))


def compute_amount(amount: Amount, order: Mapping[str, Any]) -> tuple[float, float | None]:
    """The fine's amount and the base it was computed from (None for a fixed amount)."""
    value = amount.fixed + amount.plus
    base = None
    if amount.of is not None:
        base = amount.of.fn(order) or 0.0
        value += base * (amount.percent / 100.0) if amount.percent is not None else base
    if amount.minimum is not None:
        value = max(value, amount.minimum)
    return money(value), base


def appeal_deadline(
    window: AppealWindow, generated: datetime, calendar: BusinessCalendar, zones: Zones
) -> datetime | None:
    """When an appeal of a fine generated at `generated` must be filed (None: no deadline)."""
    if not window.appealable or window.no_deadline:
        return None
    if window.until is not None:
        return window.until
    if window.business_days is not None:
        local_day = zones.to_policy(generated).date()
        if not calendar.covers(local_day):
            raise ValueError(f"{local_day} is outside the business-day calendar "
                             f"({calendar.first_year}-{calendar.last_year})")
        deadline = add_business_days(generated, window.business_days, calendar, zones.policy)
    elif window.calendar_days is not None:
        deadline = add_calendar_days(generated, window.calendar_days, zones.policy)
    else:
        deadline = generated + timedelta(hours=window.hours or 0)
    if window.at is not None:
        hh, mm = (int(x) for x in window.at.split(":"))
        local = zones.to_policy(deadline)
        deadline = datetime.combine(local.date(), time(hh, mm), tzinfo=zones.policy).astimezone(generated.tzinfo)
    return deadline


def find_window(policy: Policy, generated: datetime) -> AppealWindow | None:
    for window in policy.appeal:
        if window.covers(generated):
            return window
    return None


class Screen:
    """The conditions of every policy (and of their risks) fused into two calls per order."""

    def __init__(self, policies: Sequence[Policy]):
        self.policies = tuple(policies)
        self.with_risk = [i for i, p in enumerate(self.policies) if p.risk is not None and p.risk.when is not None]
        pairs = [(p.when, None) for p in self.policies]
        pairs += [(self.policies[i].risk.when, None) for i in self.with_risk]  # type: ignore[union-attr]
        self.conditions = fuse(pairs, "policies")
        count = len(self.policies)
        # A fired index n + k means: the risk condition of policy with_risk[k] holds.
        self.meaning = [(i, True) for i in range(count)] + [(i, False) for i in self.with_risk]

    def hits(self, order: Mapping[str, Any]) -> list[tuple[int, bool]] | None:
        """(policy index, its condition holds) for each policy whose condition or risk condition holds."""
        fired = self.conditions(order)
        if fired is None:
            return None
        meaning = self.meaning
        return [meaning[k] for k in fired]


def assess(
    order: dict[str, Any],
    screen: Screen,
    calendar: BusinessCalendar,
    zones: Zones,
) -> tuple[list[Fine], list[AtRisk], list[tuple[Policy, Exception]]]:
    """Fines the order has incurred, fines it still risks, and policies that failed on it."""
    now = order["now"]
    fines: list[Fine] = []
    risks: list[AtRisk] = []
    failures: list[tuple[Policy, Exception]] = []
    hits = screen.hits(order)
    if hits is None:  # a condition raised on this row: test policy by policy to name the one that failed
        hits = []
        for i, policy in enumerate(screen.policies):
            try:
                if policy.when.fn(order):
                    hits.append((i, True))
                elif policy.risk is not None and policy.risk.when is not None and policy.risk.when.fn(order):
                    hits.append((i, False))
            except Exception as e:  # noqa: BLE001 - reported on the row, the batch goes on
                failures.append((policy, e))
    met = {i for i, holds in hits if holds}
    for i, holds in hits:
        if not holds and i in met:
            continue  # the fine itself is assessed; its risk no longer matters
        policy = screen.policies[i]
        try:
            fine, risk = _assess_one(order, policy, holds, now, calendar, zones)
        except Exception as e:  # noqa: BLE001
            failures.append((policy, e))
            continue
        if fine is not None:
            fines.append(fine)
        if risk is not None:
            risks.append(risk)
    return fines, risks, failures


def _assess_one(
    order: dict[str, Any], policy: Policy, met: bool, now: datetime, calendar: BusinessCalendar, zones: Zones
) -> tuple[Fine | None, AtRisk | None]:
    """A policy whose condition holds (met) or whose risk condition holds (not met)."""
    risk = policy.risk
    if not met:
        deadline = risk.deadline.fn(order) if risk is not None and risk.deadline is not None else None
        if deadline is not None and _effective(policy, order, deadline, blank_is=deadline):
            return None, AtRisk(policy, deadline, "")
        return None, None
    generated = policy.generated_at.fn(order)
    if generated is None or not _effective(policy, order, generated):
        return None, None
    if generated > now:
        return None, AtRisk(policy, generated, "") if risk is not None else None
    amount, _ = compute_amount(policy.amount, order)
    window = find_window(policy, generated)
    deadline = appeal_deadline(window, generated, calendar, zones) if window else None
    suspended = generated + timedelta(hours=policy.suspension_hours) if policy.suspension_hours else None
    fine = Fine(
        fine_id=fine_id(order.get("order_id"), policy.rule.id),
        order_id=order.get("order_id"),
        product_id=order.get("product_id"),
        policy=policy,
        amount=amount,
        generated_at=generated,
        appealable=window is not None and window.appealable,
        appeal_deadline=deadline,
        appeal_window=window,
        suspended_until=suspended,
    )
    return fine, None


def _effective(policy: Policy, order: Mapping[str, Any], generated: datetime,
               blank_is: datetime | None = None) -> bool:
    """Whether every effective-dating condition holds. For a risk, a blank field (the order is not
    shipped yet) is judged at `blank_is`, the latest instant the event can still happen in time."""
    for eff in policy.effective:
        value = generated if eff.field == "generated_at" else order.get(eff.field)
        if value is None:
            value = blank_is
        if not eff.holds(value):
            return False
    return True
