"""The shape of each rules/*.yaml file, as strict pydantic models.

`extra="forbid"` everywhere: a misspelt key is an error with its line, never a
silently ignored rule. The loader turns these models into domain values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TextM(Strict):
    en: str
    zh: str


# settings.yaml -------------------------------------------------------------------------------
class SettingsM(Strict):
    language: Literal["en", "zh"] = "en"
    workbook_zone: str = "America/Los_Angeles"


class SettingsFile(Strict):
    settings: SettingsM


# calendar.yaml -------------------------------------------------------------------------------
class HolidaysM(Strict):
    country: str = "US"
    subdivision: str | None = None
    observed: bool = True
    financial: str | None = None
    first_year: int = Field(ge=1900, le=2200)
    last_year: int = Field(ge=1900, le=2200)


class ClosureM(Strict):
    date: date
    name: str
    source: str = ""


class CalendarM(Strict):
    id: str
    description: str = ""
    source: str
    policy_zone: str
    weekend: str | int = "0000011"
    holidays: HolidaysM
    extra_closures: list[ClosureM] = []


class CalendarFile(Strict):
    calendar: CalendarM


# fields.yaml ---------------------------------------------------------------------------------
class FieldM(Strict):
    type: Literal["text", "number", "integer", "datetime", "bool"]
    header: str
    label: TextM
    aliases: list[str] = []
    values: dict[str, list[str]] | None = None
    normalize: Literal["country"] | None = None


class DerivedM(Strict):
    expr: str
    label: TextM


class FieldsFile(Strict):
    fields: dict[str, FieldM]
    derived: dict[str, DerivedM] = {}


# validation.yaml -----------------------------------------------------------------------------
class ReferenceM(Strict):
    postal_codes: dict[str, str] = {}
    postal_codes_source: str = ""


class ValidationRuleM(Strict):
    id: str
    description: str = ""
    source: str
    severity: Literal["error", "warning"]
    check: str | None = None
    required: list[str] | None = None
    when: str | None = None
    field: str | None = None
    contact_customer: bool = False
    message: TextM

    @model_validator(mode="after")
    def one_kind(self) -> ValidationRuleM:
        if (self.check is None) == (self.required is None):
            raise ValueError("a rule needs exactly one of 'check' or 'required'")
        return self


class ValidationFile(Strict):
    reference: ReferenceM = ReferenceM()
    rules: list[ValidationRuleM]


# workflow.yaml -------------------------------------------------------------------------------
class StateM(Strict):
    label: TextM
    next_action: TextM


class EventM(Strict):
    id: str
    label: TextM
    description: str = ""
    source: str
    from_: list[str] = Field(default=[], alias="from")
    to: str
    when: str | None = None
    auto: bool = True


class ShipByM(Strict):
    id: str
    description: str = ""
    source: str
    from_: str = Field(alias="from")
    hours: float = Field(gt=0, le=10000)


class WorkflowM(Strict):
    initial: str
    ship_by: ShipByM
    wish_states: dict[str, str]
    states: dict[str, StateM]
    events: list[EventM]


class WorkflowFile(Strict):
    workflow: WorkflowM


# policies.yaml -------------------------------------------------------------------------------
class EffectiveM(Strict):
    """`from`/`after` open the period (inclusive/exclusive); `until`/`before` close it (inclusive/exclusive)."""

    field: str
    from_: datetime | None = Field(default=None, alias="from")
    after: datetime | None = None
    until: datetime | None = None
    before: datetime | None = None

    @model_validator(mode="after")
    def bounds(self) -> EffectiveM:
        if self.from_ is not None and self.after is not None:
            raise ValueError("give 'from' or 'after', not both")
        if self.until is not None and self.before is not None:
            raise ValueError("give 'until' or 'before', not both")
        if all(v is None for v in (self.from_, self.after, self.until, self.before)):
            raise ValueError("give at least one of from, after, until, before")
        return self


class AmountM(Strict):
    fixed: float = Field(default=0.0, ge=0)
    percent: float | None = Field(default=None, ge=0, le=1000)
    of: str | None = None
    plus: float = Field(default=0.0, ge=0)
    minimum: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def needs_base(self) -> AmountM:
        if self.percent is not None and self.of is None:
            raise ValueError("'percent' needs 'of' (the value it is a percentage of)")
        return self


class SuspensionM(Strict):
    hours: float = Field(gt=0, le=100000)
    source: str = ""


class WindowM(Strict):
    generated_from: datetime | None = None
    generated_before: datetime | None = None
    business_days: int | None = Field(default=None, ge=0, le=366)
    calendar_days: int | None = Field(default=None, ge=0, le=3660)
    hours: float | None = Field(default=None, ge=0, le=100000)
    until: datetime | None = None
    no_deadline: bool = False
    at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    source: str = ""

    @model_validator(mode="after")
    def one_kind(self) -> WindowM:
        kinds = [self.business_days, self.calendar_days, self.hours, self.until]
        count = sum(k is not None for k in kinds) + int(self.no_deadline)
        if count != 1:
            raise ValueError("an appeal window needs exactly one of business_days, calendar_days, hours, "
                             "until, no_deadline")
        return self


class RiskM(Strict):
    when: str | None = None
    deadline: str | None = None
    message: TextM

    @model_validator(mode="after")
    def both_or_none(self) -> RiskM:
        if (self.when is None) != (self.deadline is None):
            raise ValueError("a risk needs both 'when' and 'deadline', or neither")
        return self


class PolicyM(Strict):
    id: str
    section: str = ""
    name: TextM
    description: str = ""
    source: str
    effective: list[EffectiveM] = []
    when: str
    generated_at: str
    amount: AmountM
    suspension: SuspensionM | None = None
    appeal: list[WindowM] = []
    appealable: bool = True
    risk: RiskM | None = None
    reason: TextM | None = None
    currency: Literal["USD"] = "USD"

    @model_validator(mode="after")
    def appeal_stated(self) -> PolicyM:
        if self.appealable and not self.appeal:
            raise ValueError("give 'appeal' windows, or 'appealable: false'")
        if not self.appealable and self.appeal:
            raise ValueError("'appealable: false' with appeal windows")
        return self


class PoliciesFile(Strict):
    policies: list[PolicyM]
