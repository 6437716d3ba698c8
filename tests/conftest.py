"""Shared fixtures: the bundled rule set, and a way to run rows through the whole pipeline.

`recalc_rows` takes rows as a merchant types them (header -> text, naive times in
the workbook zone), runs them through the same reader, batch engine and
presentation as `wishxl recalc`, and returns what the merchant would read, keyed
by Order ID. (tests/test_batch.py holds the row engine to the same answers.)
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from addin.config.loader import load_ruleset
from addin.domain.batch import Batch, BatchEngine
from addin.domain.model import OrderResult, RuleSet
from addin.domain.present import fine_rows, render
from addin.io.reader import read_orders
from addin.service import parse_as_of

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_ruleset(RULES_DIR)


@dataclass
class Row:
    """One order as the merchant reads it after a recalculation."""

    cells: dict[str, Any]          # the computed columns (Validation, Status, ...)
    fines: list[dict[str, Any]]    # its rows of the Fines ledger
    result: OrderResult
    order: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.cells[column]

    def fine(self, policy_id: str) -> dict[str, Any] | None:
        return next((f for f in self.fines if f["Rule"].split()[0] == policy_id), None)


Recalc = Callable[..., dict[str, Row]]


@pytest.fixture
def recalc_rows(tmp_path: Path) -> Recalc:
    """Run rows (dicts of header -> value) through reader, engine and presentation."""
    cache: dict[tuple, RuleSet] = {}

    def run(rows: Sequence[dict[str, Any]], as_of: str, *, language: str | None = None,
            zone: str | None = None, inventory: dict[str, float] | None = None) -> dict[str, Row]:
        key = (language, zone)
        if key not in cache:
            cache[key] = load_ruleset(RULES_DIR, language=language, workbook_zone=zone)
        rules = cache[key]
        headers = sorted({h for row in rows for h in row}, key=lambda h: (h != "Order ID", h))
        path = tmp_path / f"orders-{len(list(tmp_path.iterdir()))}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, headers)
            writer.writeheader()
            writer.writerows(rows)
        table = read_orders(path, rules)
        batch = BatchEngine(rules).evaluate(Batch.from_table(table), parse_as_of(as_of, rules), inventory)
        out = {}
        for k in range(table.n):
            order, result = batch.row(k), batch.result(k)
            cells = render(order, result, rules, cell_of=lambda f, o=order: table.cell(o, f))
            out[str(order.get("order_id"))] = Row(cells, fine_rows(result, rules), result, order)
        return out

    return run
