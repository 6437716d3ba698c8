"""What one recalculation found, for the summary table or --json: counted order by order.

A Tally counts as orders are rendered (in place, one block of rows at a time, or in two processes
whose tallies merge), so a million orders' results are never held at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from addin.domain.model import ERROR, OrderResult, RuleSet
from addin.domain.present import issue_line


@dataclass
class RecalcReport:
    """What one recalculation found, for a summary table or --json."""

    input: str
    output: str | None
    orders: int = 0
    with_errors: int = 0
    with_warnings: int = 0
    fines: int = 0
    fines_total: float = 0.0
    open_appeals: int = 0
    nearest_appeal: datetime | None = None  # naive, workbook zone
    problems: list[str] = field(default_factory=list)  # "file Orders!F5 order X: Error: ..."
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["nearest_appeal"] = self.nearest_appeal.isoformat(sep=" ") if self.nearest_appeal else None
        return data



class Tally:
    """A report's counts, one order at a time (whole batch or row by row as a sheet is written)."""

    def __init__(self, report: RecalcReport, table: Any, rules: RuleSet, language: str, now: datetime):
        self.report, self.table, self.rules, self.language, self.now = report, table, rules, language, now
        self.nearest: datetime | None = None

    def add(self, order: Any, result: OrderResult) -> None:
        report, table = self.report, self.table
        if result.issues:
            if any(i.severity == ERROR for i in result.issues):
                report.with_errors += 1
            else:
                report.with_warnings += 1
            for issue in result.issues:
                where = table.where(order, issue.field)
                report.problems.append(f"{where} order {order.get('order_id') or '?'}: "
                                       f"{issue_line(issue, self.language)}")
        report.fines += len(result.fines)
        report.fines_total += result.fines_total
        for fine in result.fines:
            if fine.appealable and fine.appeal_deadline is not None and fine.appeal_deadline >= self.now:
                self.report.open_appeals += 1
                self.nearest = fine.appeal_deadline if self.nearest is None else min(self.nearest, fine.appeal_deadline)

    def state(self) -> tuple[Any, ...]:
        """What this tally added (from a forked half, to be merged into the other's)."""
        r = self.report
        return r.with_errors, r.with_warnings, r.problems, r.fines, r.fines_total, r.open_appeals, self.nearest

    def merge(self, state: tuple[Any, ...]) -> None:
        errors, warnings, problems, fines, total, appeals, nearest = state
        r = self.report
        r.with_errors += errors
        r.with_warnings += warnings
        r.problems.extend(problems)
        r.fines += fines
        r.fines_total += total
        r.open_appeals += appeals
        if nearest is not None:
            self.nearest = nearest if self.nearest is None else min(self.nearest, nearest)

    def finish(self) -> RecalcReport:
        self.report.fines_total = round(self.report.fines_total, 2)
        self.report.nearest_appeal = self.rules.zones.to_workbook(self.nearest) if self.nearest else None
        return self.report


def summarize(table: Any, views: list[Any], results: list[OrderResult], rules: RuleSet, language: str,
              now: datetime) -> RecalcReport:
    tally = Tally(RecalcReport(str(table.path), None, orders=len(results), notes=list(table.notes)), table, rules,
                   language, now)
    for order, result in zip(views, results):
        tally.add(order, result)
    return tally.finish()
