"""rules/*.yaml -> a checked, compiled RuleSet, or every problem with its file and line.

Order matters and is fixed: settings and calendar first (instants in later files
are read in the policy zone), then fields (they type every expression), then
validation, workflow and policies. Errors are collected, not raised one by one,
so `wishxl rules check` shows a merchant everything to fix in one go.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as pyholidays
import pycountry

from addin.config import schema as S
from addin.config.yamlfile import RuleError, RulesError, check, line_of, load, value_line
from addin.domain.calendar import UTC, BusinessCalendar, Holiday, Zones, excel_weekend_mask
from addin.domain.engine import STAGE_NAMES
from addin.domain.expr import BOOL, DATETIME, NUMBER, TEXT, Compiled, ExprError, compile_expr, parse_instant_literal
from addin.domain.messages import Message, MessageError, Text
from addin.domain.model import (
    Amount, AppealWindow, CalendarInfo, Cited, Derived, Effective, Event, FieldDef, Policy, Risk, RuleSet,
    ShipBy, SourceRef, State, ValidationRule, Workflow,
)
from addin.domain.validation import BATCH_NAMES, reference_helpers

FILES = ("settings", "calendar", "fields", "validation", "workflow", "policies")
# The lists of rules in each file: one bad item is left out and the others still checked.
RULE_LISTS = {"validation": (("rules",),), "workflow": (("workflow", "events"),), "policies": (("policies",),)}
EXPR_TYPES = {"text": TEXT, "number": NUMBER, "integer": NUMBER, "datetime": DATETIME, "bool": BOOL}
INVENTORY_NAMES = frozenset({"sku_known", "stock_on_hand", "stock_available"})
DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules"


def load_ruleset(
    directory: str | Path | None = None, *, language: str | None = None, workbook_zone: str | None = None
) -> RuleSet:
    """Load and check a rule set; raise RulesError listing every problem with file and line."""
    return _Builder(Path(directory) if directory else DEFAULT_RULES, language, workbook_zone).build()


def check_rules(directory: str | Path | None = None) -> list[RuleError]:
    """Every problem of a rule set (empty when it is sound)."""
    try:
        load_ruleset(directory)
    except RulesError as e:
        return list(e.errors)
    return []


class _Builder:
    def __init__(self, directory: Path, language: str | None, workbook_zone: str | None):
        self.dir = directory
        self.language_override = language
        self.zone_override = workbook_zone
        self.errors: list[RuleError] = []
        self.raw: dict[str, Any] = {}
        self.index: dict[str, dict[tuple[str, ...], list[int]]] = {}
        self.policy_zone = ZoneInfo("UTC")

    # -- plumbing ---------------------------------------------------------------------------
    def shown(self, name: str) -> str:
        path = self.dir / f"{name}.yaml"
        try:
            return str(path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def ref(self, name: str, line: int | None) -> SourceRef:
        """Where a rule was written, as explanations cite it: `rules/policies.yaml:12`, whatever the
        current folder (a workbook recalculated twice must read the same)."""
        return SourceRef(f"{self.dir.resolve().name}/{name}.yaml", line or 0)

    def error(self, name: str, line: int | None, message: str, column: int | None = None) -> None:
        problem = RuleError(self.shown(name), line, message, column)
        if problem not in self.errors:  # a YAML alias shared by several rules is reported once
            self.errors.append(problem)

    def parse(self, name: str, model: type[Any]) -> Any:
        data, errors = load(self.dir / f"{name}.yaml", self.shown(name))
        self.errors.extend(errors)
        if errors:
            return None
        self.raw[name] = data
        parsed, errors, self.index[name] = check(model, data, self.shown(name), RULE_LISTS.get(name, ()))
        self.errors.extend(errors)
        return parsed

    def original(self, name: str, path: tuple[str, ...], i: int) -> int:
        """The index in the file of the i-th rule that passed the schema check."""
        kept = self.index.get(name, {}).get(path)
        return kept[i] if kept else i

    def expr(self, name: str, node: Any, key: Any, text: str, names: Mapping[str, str], want: Any) -> Compiled | None:
        try:
            return compile_expr(text, names, self.helpers, want)
        except ExprError as e:
            self.error(name, value_line(node, key), f"{key}: {e}")
            return None

    def message(self, name: str, node: Any, key: str, text: S.TextM, allowed: set[str]) -> Message | None:
        try:
            return Message(Text(text.en, text.zh), allowed)
        except MessageError as e:
            self.error(name, line_of(node, key), f"{key}: {e}")
            return None

    def instant(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.policy_zone)
        return value.astimezone(UTC)  # the same tzinfo object as every instant read: faster comparisons

    def zone(self, name: str, node: Any, key: str, value: str) -> ZoneInfo | None:
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(name, line_of(node, key), f'{key}: unknown time zone "{value}" (e.g. America/Los_Angeles)')
            return None

    # -- the files --------------------------------------------------------------------------
    def build(self) -> RuleSet:
        if not self.dir.is_dir():
            raise RulesError([RuleError(str(self.dir), None, "rules folder not found")])
        settings = self.parse("settings", S.SettingsFile)
        calendar = self.parse("calendar", S.CalendarFile)
        fields = self.parse("fields", S.FieldsFile)
        validation = self.parse("validation", S.ValidationFile)
        workflow = self.parse("workflow", S.WorkflowFile)
        policies = self.parse("policies", S.PoliciesFile)

        if fields is None:
            # Every expression is typed by the fields; without them later files would only show
            # follow-on errors. Their shape has been checked above.
            validation = workflow = policies = None
        language = self.language_override or (settings.settings.language if settings else "en")
        cal_info = self.build_calendar(calendar, settings) if calendar and settings else None
        self.helpers = reference_helpers(
            validation.reference.postal_codes if validation else {},
            frozenset(c.alpha_2 for c in pycountry.countries),
        )
        self.helpers["instant"] = parse_instant_literal(lambda s: self.instant(datetime.fromisoformat(s)))
        field_defs, derived, names = self.build_fields(fields) if fields else ({}, (), {})
        self.placeholders = set(names) | {f"{n}_label" for n in field_defs} | {"field_label", "deadline", "amount"}
        validations = self.build_validations(validation, field_defs, names) if validation else ()
        stage_names = {**names, **STAGE_NAMES}
        guard_names = {n: t for n, t in stage_names.items() if n != "status"}  # a guard may not read the status
        flow = self.build_workflow(workflow, field_defs, guard_names) if workflow else None
        policy_list = self.build_policies(policies, stage_names) if policies else ()
        if fields is not None:
            self.check_dropped_expressions({**stage_names})
        if self.errors or cal_info is None or flow is None:
            raise RulesError(self.errors or [RuleError(str(self.dir), None, "rule set incomplete")])
        return RuleSet(language, cal_info, field_defs, derived, validations, flow, policy_list, str(self.dir))

    def check_dropped_expressions(self, names: dict[str, str]) -> None:
        """Rules left out for a schema error still get their expressions checked, so both mistakes show."""
        keys = {"check": BOOL, "when": BOOL, "generated_at": DATETIME}
        for name, lists in RULE_LISTS.items():
            raw = self.raw.get(name)
            for path in lists:
                kept = self.index.get(name, {}).get(path)
                if raw is None or kept is None:
                    continue
                items = raw
                for key in path:
                    items = items.get(key, []) if hasattr(items, "get") else []
                for i, node in enumerate(items):
                    if i in kept or not hasattr(node, "get"):
                        continue
                    for key, want in keys.items():
                        if isinstance(node.get(key), str):
                            self.expr(name, node, key, node[key], names, want)

    def build_calendar(self, model: S.CalendarFile, settings: S.SettingsFile) -> CalendarInfo | None:
        c = model.calendar
        raw = self.raw["calendar"]["calendar"]
        policy = self.zone("calendar", raw, "policy_zone", c.policy_zone)
        workbook_raw = self.raw["settings"]["settings"]
        workbook_name = self.zone_override or settings.settings.workbook_zone
        if self.zone_override:
            try:
                workbook = ZoneInfo(self.zone_override)
            except (ZoneInfoNotFoundError, ValueError):
                self.errors.append(RuleError("--workbook-zone", None, f'unknown time zone "{workbook_name}"'))
                workbook = None
        else:
            workbook = self.zone("settings", workbook_raw, "workbook_zone", workbook_name)
        if policy is None or workbook is None:
            return None
        self.policy_zone = policy
        if isinstance(c.weekend, int) and _written(self.dir / "calendar.yaml", line_of(raw, "weekend")).startswith("0"):
            self.error("calendar", line_of(raw, "weekend"), 'weekend: write the mask in quotes, e.g. "0000011" '
                       "(unquoted, 0000011 reads as the number 11, Excel's Sunday-only weekend)")
            return None
        try:
            weekend = excel_weekend_mask(c.weekend)
        except ValueError as e:
            self.error("calendar", line_of(raw, "weekend"), f"weekend: {e}")
            return None
        h = c.holidays
        if h.first_year > h.last_year:
            self.error("calendar", line_of(raw, "holidays", "first_year"), "holidays: first_year is after last_year")
            return None
        years = range(h.first_year, h.last_year + 1)
        try:
            if h.financial:
                source = pyholidays.financial_holidays(h.financial, years=years)
            else:
                source = pyholidays.country_holidays(h.country, subdiv=h.subdivision, years=years,
                                                     observed=h.observed)
        except NotImplementedError as e:
            self.error("calendar", line_of(raw, "holidays"), f"holidays: {e}")
            return None
        citation = f"python-holidays {pyholidays.__version__} ({h.financial or h.country})"
        days = [Holiday(day, name, citation) for day, name in sorted(source.items())]
        days += [Holiday(x.date, x.name, x.source) for x in c.extra_closures]
        calendar = BusinessCalendar(weekend, tuple(days), h.first_year, h.last_year)
        rule = Cited(c.id, self.ref("calendar", line_of(self.raw["calendar"], "calendar")), c.description, c.source)
        return CalendarInfo(rule, calendar, Zones(policy, workbook))

    def build_fields(self, model: S.FieldsFile) -> tuple[dict[str, FieldDef], tuple[Derived, ...], dict[str, str]]:
        raw = self.raw["fields"]
        defs: dict[str, FieldDef] = {}
        for name, f in model.fields.items():
            line = line_of(raw, "fields", name)
            if not name.isidentifier():
                self.error("fields", line, f'field name "{name}" must be letters, digits and _')
                continue
            aliases = tuple(f.aliases)
            defs[name] = FieldDef(name, f.type, f.header, Text(f.label.en, f.label.zh), aliases,
                                  self.ref("fields", line))
            if f.values is not None:
                if f.type != "text":
                    self.error("fields", line_of(raw, "fields", name, "values"), "values: only text fields have values")
                defs[name] = _with_values(defs[name], f.values)
            if f.normalize == "country":
                defs[name] = replace(defs[name], synonyms=_country_names())
        names = {n: EXPR_TYPES[d.type] for n, d in defs.items()}
        names.update(BATCH_NAMES)
        derived = []
        for name, d in model.derived.items():
            node = raw["derived"][name]
            if name in names:
                self.error("fields", line_of(raw, "derived", name), f'derived value "{name}" is already a name')
                continue
            compiled = self.expr("fields", node, "expr", d.expr, names, (NUMBER, TEXT, DATETIME, BOOL))
            if compiled is None:
                continue
            names[name] = compiled.type
            derived.append(Derived(name, compiled, Text(d.label.en, d.label.zh), self.ref("fields", value_line(node, "expr"))))
        return defs, tuple(derived), names

    def build_validations(self, model: S.ValidationFile, defs: dict[str, FieldDef], names: dict[str, str]) -> tuple:
        raw = self.raw["validation"]
        rules: list[ValidationRule] = []
        seen: set[str] = set()
        for i, r in enumerate(model.rules):
            i = self.original("validation", ("rules",), i)
            node = raw["rules"][i]
            line = line_of(raw, "rules", i)
            if r.id in seen:
                self.error("validation", line, f'duplicate rule id "{r.id}"')
            seen.add(r.id)
            cited = Cited(r.id, self.ref("validation", line), r.description, r.source)
            if r.field is not None and r.field not in names:
                self.error("validation", line_of(node, "field"), f'field: unknown field "{r.field}"')
            when = self.expr("validation", node, "when", r.when, names, BOOL) if r.when else None
            if r.required is not None:
                msg = self.message("validation", node, "message", r.message, self.placeholders)
                for j, fname in enumerate(r.required):
                    if fname not in defs:
                        self.error("validation", line_of(node, "required", j), f'required: unknown field "{fname}"')
                        continue
                    check_ = compile_expr(f"present({fname})", names, self.helpers)
                    if msg is not None:
                        label = defs[fname].label
                        rules.append(ValidationRule(cited, r.severity, check_, _bind_label(msg, label), when, fname,
                                                    r.contact_customer))
                continue
            check_ = self.expr("validation", node, "check", r.check, names, BOOL)
            msg = self.message("validation", node, "message", r.message, self.placeholders)
            if check_ is None or msg is None:
                continue
            used = check_.names | (when.names if when else frozenset())
            rules.append(ValidationRule(cited, r.severity, check_, msg, when, r.field, r.contact_customer,
                                        bool(used & INVENTORY_NAMES)))
        return tuple(rules)

    def build_workflow(self, model: S.WorkflowFile, defs: dict[str, FieldDef], names: dict[str, str]) -> Workflow | None:
        from addin.config.workflow_check import build_workflow

        return build_workflow(self, model.workflow, self.raw["workflow"]["workflow"], defs, names)

    def build_policies(self, model: S.PoliciesFile, names: dict[str, str]) -> tuple[Policy, ...]:
        from addin.config.policy_build import build_policies

        return build_policies(self, model, self.raw["policies"], names)


def _with_values(field: FieldDef, values: dict[str, list[str]]) -> FieldDef:
    table = {}
    for canonical, aliases in values.items():
        for alias in [canonical, *aliases]:
            table[_fold(alias)] = canonical
    return replace(field, values=table)


def _country_names() -> dict[str, str]:
    """Country names (English, official, common, Simplified Chinese) and ISO codes -> ISO 3166 alpha-2."""
    import gettext

    try:
        chinese = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"]).gettext
    except OSError:
        chinese = None
    table: dict[str, str] = {}
    for c in pycountry.countries:
        names = [c.alpha_2, c.alpha_3, c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)]
        if chinese is not None:
            names.append(chinese(c.name))
        for n in names:
            if n:
                table.setdefault(_fold(n), c.alpha_2)
    for n, code in (("USA", "US"), ("U.S.A.", "US"), ("U.S.", "US"), ("UK", "GB"), ("Great Britain", "GB"),
                    ("England", "GB"), ("Mainland China", "CN"), ("中国大陆", "CN")):
        table.setdefault(_fold(n), code)
    return table


def _written(path: Path, line: int | None) -> str:
    """The value as written on a `key: value` line of a file (to see what YAML turned into a number)."""
    try:
        text = path.read_text(encoding="utf-8").splitlines()[(line or 1) - 1]
    except (OSError, IndexError):
        return ""
    return text.split(":", 1)[1].split("#", 1)[0].strip() if ":" in text else ""


def _fold(text: str) -> str:
    return "".join(text.split()).replace("_", "").casefold()


def _bind_label(message: Message, label: Text) -> Message:
    """A `required` message with `{{ field_label }}` bound to one field's label."""
    placeholder = re.compile(r"\{\{\s*field_label\s*\}\}")
    en = placeholder.sub(lambda _: label.en, message.text.en)
    zh = placeholder.sub(lambda _: label.zh, message.text.zh)
    return Message(Text(en, zh))


__all__ = ["load_ruleset", "check_rules", "RulesError", "RuleError", "Event", "State", "ShipBy", "Risk", "Amount",
           "AppealWindow", "Effective"]
