"""The rule set and the results, as immutable values.

Everything here is built by the config loader from rules/*.yaml and read by the
engine; nothing here reads files. Each rule keeps the SourceRef of the YAML
line it came from, so every computed value can say which rule produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from addin.domain.calendar import BusinessCalendar, Zones
from addin.domain.expr import Compiled
from addin.domain.messages import Message, Text

ERROR, WARNING = "error", "warning"
FIELD_TYPES = ("text", "number", "integer", "datetime", "bool")


@dataclass(frozen=True)
class SourceRef:
    """Where a rule was written: `rules/policies.yaml:12`."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Cited:
    """What every rule carries: its id, a description, its source and the line it was written on."""

    id: str
    ref: SourceRef
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class FieldDef:
    """An order field: its type, the header it is written under and the headers accepted for it."""

    name: str
    type: str
    header: str
    label: Text
    aliases: tuple[str, ...] = ()
    ref: SourceRef | None = None
    values: dict[str, str] | None = None  # folded spelling -> canonical value, for fields with fixed values
    synonyms: dict[str, str] | None = None  # folded spelling -> preferred value; other values are kept as typed


@dataclass(frozen=True)
class Derived:
    """A value computed from other fields (order value, item value) before any rule runs."""

    name: str
    expr: Compiled
    label: Text
    ref: SourceRef


@dataclass(frozen=True)
class ValidationRule:
    rule: Cited
    severity: str
    check: Compiled
    message: Message
    when: Compiled | None = None
    field: str | None = None
    contact_customer: bool = False
    needs_inventory: bool = False


@dataclass(frozen=True)
class State:
    id: str
    label: Text
    next_action: Message
    ref: SourceRef


@dataclass(frozen=True)
class Event:
    rule: Cited
    label: Text
    sources: frozenset[str]  # empty = from any state
    target: str
    when: Compiled | None
    auto: bool

    def allowed_from(self, state: str) -> bool:
        return not self.sources or state in self.sources


@dataclass(frozen=True)
class ShipBy:
    rule: Cited
    start_field: str
    hours: float


@dataclass(frozen=True)
class Workflow:
    states: dict[str, State]
    initial: str
    wish_states: dict[str, str]
    wish_states_ref: SourceRef
    events: tuple[Event, ...]
    ship_by: ShipBy
    max_steps: int = 20


@dataclass(frozen=True)
class Effective:
    """An effective-dating condition: `field` (an order field or `generated_at`) within [start, end)."""

    field: str
    ref: SourceRef
    start: datetime | None = None
    start_inclusive: bool = True
    end: datetime | None = None
    end_inclusive: bool = False

    def holds(self, value: datetime | None) -> bool:
        if value is None:
            return False
        if self.start is not None and (value < self.start or (value == self.start and not self.start_inclusive)):
            return False
        if self.end is not None and (value > self.end or (value == self.end and not self.end_inclusive)):
            return False
        return True


@dataclass(frozen=True)
class Amount:
    """fixed + percent % of `of` + plus, at least `minimum` (all in the policy's currency)."""

    ref: SourceRef
    fixed: float = 0.0
    percent: float | None = None
    of: Compiled | None = None
    of_name: str = ""
    plus: float = 0.0
    minimum: float | None = None


@dataclass(frozen=True)
class AppealWindow:
    """How long a fine generated within [generated_from, generated_before) can be appealed.

    Exactly one of: business_days, calendar_days, hours, until (a fixed instant),
    no_deadline (appealable, no window known), or appealable=False.
    """

    ref: SourceRef
    generated_from: datetime | None = None
    generated_before: datetime | None = None
    appealable: bool = True
    business_days: int | None = None
    calendar_days: int | None = None
    hours: float | None = None
    until: datetime | None = None
    no_deadline: bool = False
    at: str | None = None  # local clock time "HH:MM" in the policy zone; None keeps the fine's clock time

    def covers(self, generated: datetime) -> bool:
        if self.generated_from is not None and generated < self.generated_from:
            return False
        return self.generated_before is None or generated < self.generated_before


@dataclass(frozen=True)
class Risk:
    """A fine not incurred yet that the merchant can still avoid.

    Without `when`/`deadline` it speaks of the policy's own pending fine (its
    condition holds, its generation instant is still ahead); with them, of an
    order that will meet the condition unless the merchant acts by `deadline`.
    """

    message: Message
    ref: SourceRef
    when: Compiled | None = None
    deadline: Compiled | None = None


@dataclass(frozen=True)
class Policy:
    rule: Cited
    name: Text
    section: str
    when: Compiled
    generated_at: Compiled
    amount: Amount
    effective: tuple[Effective, ...] = ()
    appeal: tuple[AppealWindow, ...] = ()
    suspension_hours: float | None = None
    suspension_ref: SourceRef | None = None
    risk: Risk | None = None
    reason: Message | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class CalendarInfo:
    rule: Cited
    calendar: BusinessCalendar
    zones: Zones


@dataclass
class RuleSet:
    """Everything rules/*.yaml says, compiled and checked."""

    language: str
    calendar: CalendarInfo
    fields: dict[str, FieldDef]
    derived: tuple[Derived, ...]
    validations: tuple[ValidationRule, ...]
    workflow: Workflow
    policies: tuple[Policy, ...]
    directory: str = "rules"
    # Words that depend only on the rules and the language (an explanation's status line, a risk's
    # sentence), made once per rule set instead of once per order.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def zones(self) -> Zones:
        return self.calendar.zones


@dataclass(frozen=True)
class Issue:
    """A problem found on one order, as data: which rule, how bad, which field, what to say."""

    severity: str
    message: str
    rule_id: str
    ref: SourceRef | None = None
    field: str | None = None
    contact_customer: bool = False


def fine_id(order_id: Any, rule_id: str) -> str:
    """A fine's ID: its order and the rule that fined it (how the Fines sheet matches a fine across runs)."""
    return f"{order_id}-{rule_id}"


@dataclass
class Fine:
    fine_id: str
    order_id: Any
    product_id: Any
    policy: Policy
    amount: float
    generated_at: datetime
    appealable: bool
    appeal_deadline: datetime | None
    appeal_window: AppealWindow | None
    suspended_until: datetime | None
    reason: str = ""


@dataclass
class AtRisk:
    """A fine the order will incur unless the merchant acts by `deadline` (rendered in Next Action)."""

    policy: Policy
    deadline: datetime
    message: str


class OrderResult:
    """What the engine found for one order (words and cells come from present.py).

    A plain slotted class: a million of these are alive at once, and most orders have no
    events, fines or risks, so those default to one shared empty tuple.
    """

    __slots__ = ("issues", "status", "start_state", "status_events", "ship_by", "fines", "risks",
                 "appeal_deadline", "suspended_until")

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.status = ""
        self.start_state = ""
        self.status_events: Sequence[Event] = ()
        self.ship_by: datetime | None = None
        self.fines: Sequence[Fine] = ()
        self.risks: Sequence[AtRisk] = ()
        self.appeal_deadline: datetime | None = None
        self.suspended_until: datetime | None = None

    @property
    def fines_total(self) -> float:
        return round(sum(f.amount for f in self.fines), 2)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == ERROR for i in self.issues)
