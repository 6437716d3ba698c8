"""Use cases shared by every adapter (command line, Excel macros, headless batch).

One pipeline: load rules -> read orders -> validate -> advance status -> fines
and deadlines -> write. Adapters only parse their arguments, call these
functions and show the report. Batches go through the batch engine (numpy over
columns); the row engine (domain/engine.py) is its reference and serves single orders.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from addin.config.loader import load_ruleset
from addin.domain.batch import Batch, BatchEngine
from addin.domain.columns import value_at
from addin.domain.model import OrderResult, RuleSet
from addin.domain.present import OUTPUT_COLUMNS, fine_rows, render
from addin.report import RecalcReport, Tally, summarize
from addin.domain.present_batch import BLOCK, BatchPresenter, BatchLedger
from addin.io.cells import parse_datetime_text
from addin.io.inplace import (
    EXCEL_ROWS, FINES_SHEET, LockedError, SheetRewriter, add_sheet, date_style, fines_sheet_xml, mark_full_calculation,
    owned_columns, update_tables, workbook_lock,
    write_package,
)
from addin.io.deflate import Halves, Ready, deflate_whole, deflated
from addin.io.forked import ForkedError, Half
from addin.io.ledger import LedgerRewrite
from addin.io.memory import give_back
from addin.io.package import Package, PackageError
from addin.io.sheetread import blocks
from addin.io.sheetxml import SheetError
from addin.io.reader import EXCEL_SUFFIXES, INVENTORY_SHEET, ORDERS_SHEET, InputError, OrdersTable, read_inventory, read_orders
from addin.io.writer import write_results

Progress = Callable[[int], None]


def parse_as_of(text: str | None, rules: RuleSet) -> datetime:
    """--as-of: ISO time with an offset or Z, or a naive time in the workbook zone; default now."""
    if text is None:
        return datetime.now(timezone.utc)
    parsed = parse_datetime_text(text.strip())
    if parsed is None:
        raise ValueError(f"--as-of {text!r} is not an ISO date-time (e.g. 2018-11-05T09:00:00-08:00)")
    return rules.zones.from_workbook(parsed)


def recalc(
    input_path: str | Path,
    out_path: str | Path,
    *,
    rules: RuleSet | None = None,
    rules_dir: str | Path | None = None,
    as_of: datetime | str | None = None,
    language: str | None = None,
    workbook_zone: str | None = None,
    inventory_path: str | Path | None = None,
    progress: Progress | None = None,
) -> RecalcReport:
    """Recalculate an orders workbook or CSV into a new workbook (Orders + Fines)."""
    if rules is None:
        rules = load_ruleset(rules_dir, language=language, workbook_zone=workbook_zone)
    language = language or rules.language
    now = as_of if isinstance(as_of, datetime) else parse_as_of(as_of, rules)
    input_path = Path(input_path)
    table = read_orders(input_path, rules, language)
    _fit(input_path, f"{table.n:,} orders", 1 + table.n, ORDERS_SHEET, "nothing was written")
    if inventory_path is not None:
        inventory = read_inventory(inventory_path)
    elif input_path.suffix.lower() in EXCEL_SUFFIXES:
        inventory = read_inventory(input_path, required=False)
    else:
        inventory = None
    batch = BatchEngine(rules).evaluate(Batch.from_table(table), now, inventory, language)
    results = batch.results()
    fines = sum(len(result.fines) for result in results)
    _fit(input_path, f"{fines:,} fines", 1 + fines, FINES_SHEET, "nothing was written")
    views = [batch.row(k) for k in range(table.n)]
    report = summarize(table, views, results, rules, language, now)
    report.output = str(out_path)
    by_index = {table.order_index[k]: k for k in range(table.n)}
    write_results(out_path, table.headers, table.computed,
                  _rows(table, by_index, views, results, rules, language, progress),
                  (row for result in results for row in fine_rows(result, rules, language)))
    return report


def _fit(path: Path, what: str, rows: int, sheet: str, outcome: str) -> None:
    """Refuse a sheet that Excel could not hold (XlsxWriter would leave the rows past its last out)."""
    if rows > EXCEL_ROWS:
        raise InputError(f"{path}: its {what} need {rows:,} rows in the {sheet} sheet, and Excel's sheets hold "
                         f"{EXCEL_ROWS:,}: {outcome}; split its orders into two workbooks")


def _rows(table: OrdersTable, by_index: dict[int, int], views: list[Any], results: list[OrderResult],
          rules: RuleSet, language: str, progress: Progress | None) -> Iterator[tuple[list[Any], dict[str, Any] | None]]:
    typed = table.path.suffix.lower() == ".csv"  # a CSV holds only text: write numbers and dates as such
    for i, raw in enumerate(table.rows):
        k = by_index.get(i)
        if k is None:
            yield raw, None
        else:
            order = views[k]
            if typed:
                raw = _typed_row(raw, k, table, rules)
            yield raw, render(order, results[k], rules, language, lambda f, o=order: table.cell(o, f))
        if progress is not None and i % 1000 == 999:
            progress(1000)
    if progress is not None:
        progress(len(table.rows) % 1000)


def _typed_row(raw: list[Any], k: int, table: OrdersTable, rules: RuleSet) -> list[Any]:
    """The row with each readable known field as its typed value (text fields stay as typed)."""
    row = list(raw)
    for name, col in table.fields.items():
        if rules.fields[name].type == "text" or (name in table.bad and table.bad[name][k]):
            continue
        value = value_at(table.columns[name], k)
        if value is None:
            continue
        row[col] = rules.zones.to_workbook(value) if isinstance(value, datetime) else value
    return row


def recalc_in_place(
    path: str | Path,
    *,
    rules: RuleSet,
    as_of: datetime,
    language: str | None = None,
    inventory_path: str | Path | None = None,
    backup: bool = False,
    split: bool = True,
    progress: Progress | None = None,
) -> RecalcReport:
    """Bring a workbook up to date in place: the computed columns of Orders and the Fines sheet.

    Every other part of the file keeps its bytes; the file is replaced atomically. split: a large
    Orders sheet is written in two halves, the second by a forked process (on a second core).
    progress(n): n more orders written.
    """
    path = Path(path)
    language = language or rules.language
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        raise InputError(f"{path}: only .xlsx/.xlsm workbooks are updated in place; give --out for a {path.suffix}")
    with workbook_lock(path):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a killed run; we hold the lock
            stale.unlink(missing_ok=True)
        try:
            pkg = Package(path)
        except PackageError as e:
            raise InputError(str(e)) from None
        with pkg:
            sheet = pkg.sheet(ORDERS_SHEET)
            if sheet is None:
                names = ", ".join(s.name for s in pkg.sheets())
                raise InputError(f"{path}: no sheet named {ORDERS_SHEET} (sheets: {names})")
            if re.search(rb'date1904="(?:1|true)"', pkg.read(pkg.workbook_part)):
                raise InputError(f"{path}: uses the 1904 date system (Excel for Mac before 2011): its dates would be "
                                 "read and written four years off; turn it off in Excel (Preferences > Calculation) "
                                 "or recalculate with --out")
            table = read_orders(path, rules, language, keep_rows=False, package=pkg, split=split)
            if inventory_path:
                inventory = read_inventory(inventory_path)
            else:
                inventory = read_inventory(path, package=pkg) if pkg.sheet(INVENTORY_SHEET) is not None else None
            batch = BatchEngine(rules).evaluate(Batch.from_table(table), as_of, inventory, language)
            give_back()  # the rules' temporaries, before the second process shares this one's pages
            report = RecalcReport(str(table.path), str(path), orders=table.n, notes=list(table.notes))
            where, added = owned_columns(table.headers, table.computed)
            updates = _LazyRows(table, batch, rules, language, where, Tally(report, table, rules, language, as_of),
                                progress)
            if added:
                updates.fixed[1] = {col: name for col, name in added}
            ledger = BatchLedger(batch, rules, language)  # rows made as they are written
            style, new_styles = date_style(pkg)
            existing = pkg.sheet(FINES_SHEET)  # the merchant's own columns and formatting stay with her fines
            rewrite = LedgerRewrite(pkg, existing.part, ledger, style) if existing is not None else None
            kept = f" and {len(rewrite.kept):,} rows of your notes" if rewrite is not None and rewrite.kept else ""
            _fit(path, f"{len(ledger):,} fines{kept}", rewrite.last_row if rewrite is not None else 1 + len(ledger),
                 FINES_SHEET, "the workbook is left as it was")
            fines_sheet = rewrite.chunks if rewrite is not None else lambda: fines_sheet_xml(ledger, style)
            last_header = min(where.values()) - 1 if added else None
            formulas = _formula_values(table, rules)

            def sheet_part(package: Package, **rows: int) -> Iterator[bytes]:
                return SheetRewriter(blocks(package, sheet.part), updates, set(where.values()), style, last_header,
                                     formulas).chunks(**rows)

            half = None
            if split and table.n >= SPLIT_MIN_ORDERS and (os.cpu_count() or 1) > 1:
                cut = int(table.n * SPLIT_SHARE)
                middle = int(table.order_rows[cut])  # the second half of the rows, on the other core
                deflate: dict[str, int] = {}  # the second half is deflated there too: io/deflate.py
                tally = updates.tally

                here = os.getpid()

                def second_half() -> Iterator[bytes]:  # in the forked process (or here, after the first)
                    updates.stop, updates.tally = table.n, Tally(RecalcReport(str(path), None), table, rules,
                                                                 language, as_of)
                    if os.getpid() != here:  # its orders are counted here, when it is done
                        updates.progress = None
                    return deflated(_reopened(path, lambda other: sheet_part(other, start_row=middle)), deflate)

                def second_result() -> tuple[Any, ...]:  # the Fines sheet is made there too, after its rows
                    return deflate["crc"], deflate["size"], updates.tally.state(), deflate_whole(fines_sheet())

                half = Half(second_half, second_result)
                updates.stop = cut  # (after the fork: the other process goes on to the end)
                content: Any = Halves(sheet_part(pkg, stop_row=middle), half)
            else:
                content = sheet_part(pkg)
            replaced: dict[str, Any] = {sheet.part: content}
            if new_styles is not None:
                replaced[next(t for k, t in pkg.rels(pkg.workbook_part).values() if k == "styles")] = new_styles
            if added:
                replaced.update(update_tables(pkg, sheet.part, 1, added, max(where.values())))
            new_parts: dict[str, Any] = {}
            fines = Ready(lambda: half.result()[3]) if half is not None else fines_sheet()
            if rewrite is not None:
                replaced.update(rewrite.tables)
                replaced[existing.part] = fines  # (made by the one deflater either way: a second run is the same file)
                report.notes.extend(rewrite.notes)
            else:
                part, edits = add_sheet(pkg, FINES_SHEET)
                replaced.update(edits)
                new_parts[part] = fines
            wb_xml = replaced.get(pkg.workbook_part, pkg.read(pkg.workbook_part))
            marked = mark_full_calculation(wb_xml)
            if marked != wb_xml:
                replaced[pkg.workbook_part] = marked
            if backup:
                shutil.copy2(path, path.with_name(f"{path.stem}.bak{path.suffix}"))
            try:
                fines_part = existing.part if existing is not None else next(iter(new_parts))
                write_package(pkg, path, replaced, new_parts, {sheet.part: table.n * ROW_GROWTH,
                                                               fines_part: (len(ledger) + 1) * ROW_GROWTH})
                if half is not None:
                    tally.merge(half.result()[2])
                    updates.tally = tally
                    if progress is not None and half.pid is not None:
                        progress(table.n - cut)  # the other process's orders
            except ForkedError as e:
                raise {"InputError": InputError, "PackageError": PackageError}.get(e.kind, SheetError)(str(e)) from None
            finally:
                if half is not None:
                    half.cancel()
    return updates.tally.finish()


ROW_GROWTH = 4096  # bytes a row may gain, an order's or a fine's (the widest recalculated front-end row is 2.4 KB)
SPLIT_MIN_ORDERS = 20_000  # below this, a second process costs more than it saves
SPLIT_SHARE = 0.55  # this process's share of the rows: the other one also reopens the workbook, inflates up to its half and makes the Fines sheet


def _reopened(path: Path, work: Callable[[Package], Iterator[bytes]]) -> Iterator[bytes]:
    """work() on the workbook opened again (a forked process must not share the parent's file position)."""
    with Package(path) as package:
        yield from work(package)


def _formula_values(table: OrdersTable, rules: RuleSet) -> Callable[[int, str], Any]:
    """Fresh values for formulas calling the add-in's functions on an order row (cells of that row only)."""
    from addin.functions import UNSUPPORTED, evaluate_formula
    from addin.io.sheetxml import column_index

    field_at = {col: name for name, col in table.fields.items()}
    rows = np.asarray(table.order_rows, dtype=np.int64)

    def value(number: int, formula: str) -> Any:
        k = int(np.searchsorted(rows, number))
        k = k if k < len(rows) and rows[k] == number else None
        if k is None:
            return None

        def cell(ref: str) -> Any:
            letters = ref.rstrip("0123456789")
            if int(ref[len(letters):]) != number or column_index(letters) not in field_at:
                return UNSUPPORTED
            got = value_at(table.columns[field_at[column_index(letters)]], k)
            return rules.zones.to_workbook(got) if isinstance(got, datetime) else got

        return evaluate_formula(formula, cell, rules)

    return value


class _LazyRows:
    """The computed cells of each order row, made a block of rows at a time when the sheet writer
    reaches them (so a million rows are never held at once); the orders with issues or fines are
    added to the report as they are made (no other order changes its counts)."""

    def __init__(self, table: OrdersTable, batch: Any, rules: RuleSet, language: str, where: dict[str, int],
                 tally: Tally, progress: Progress | None = None):
        self.tally, self.progress = tally, progress
        self.columns = [where[name] for name in OUTPUT_COLUMNS]
        self.presenter = BatchPresenter(batch, rules, language, cell_of=table.cell, 
                                        on_result=lambda order, result: self.tally.add(order, result))
        self.rows = np.asarray(table.order_rows, dtype=np.int64)  # sheet row of each order, ascending
        self.next_k = 0  # rows are asked for in sheet order: the next order's index, without a dict
        self.n = self.stop = table.n  # stop: where this process's half of the orders ends
        self.fixed: dict[int, dict[int, Any]] = {}
        self.lo, self.block = 0, []

    def get(self, number: int) -> dict[int, Any] | None:
        if number in self.fixed:
            return self.fixed[number]
        k, rows = self.next_k, self.rows
        if k >= len(rows) or rows[k] != number:
            k = int(np.searchsorted(rows, number))
            if k >= len(rows) or rows[k] != number:
                return None  # not an order's row (blank)
        self.next_k = k + 1
        if not self.lo <= k < self.lo + len(self.block):  # rows come in sheet order: the next block
            self.lo, self.block = k, self.presenter.cells(k, min(k + BLOCK, self.stop))
            if self.progress is not None:
                self.progress(len(self.block))
        cells = self.block[k - self.lo]
        return dict(zip(self.columns, map(cells.__getitem__, OUTPUT_COLUMNS)))


@dataclass
class FileOutcome:
    """One workbook of a batch: its report, or why it was not updated."""

    path: str
    report: RecalcReport | None = None
    error: str | None = None


_WORKER: dict[str, Any] = {}


def _worker_init(rules_dir: str | None, language: str | None, workbook_zone: str | None) -> None:
    _WORKER["rules"] = load_ruleset(rules_dir, language=language, workbook_zone=workbook_zone)


def _worker_run(path: str, as_of: datetime, language: str | None, inventory: str | None, backup: bool,
                split: bool = True, progress: Progress | None = None) -> FileOutcome:
    try:
        report = recalc_in_place(path, rules=_WORKER["rules"], as_of=as_of, language=language,
                                 inventory_path=inventory, backup=backup, split=split, progress=progress)
        return FileOutcome(path, report)
    except (InputError, LockedError, PackageError) as e:
        return FileOutcome(path, error=str(e))
    except SheetError as e:
        return FileOutcome(path, error=f"{path}: sheet {ORDERS_SHEET}: {e}")
    except OSError as e:
        return FileOutcome(path, error=f"{path}: cannot write ({e.strerror or e})")


def recalc_many(
    paths: Sequence[str | Path],
    *,
    rules_dir: str | Path | None = None,
    language: str | None = None,
    workbook_zone: str | None = None,
    as_of: datetime,
    inventory_path: str | Path | None = None,
    backup: bool = False,
    jobs: int = 1,
    done: Callable[[FileOutcome], None] | None = None,
    rules: RuleSet | None = None,
    progress: Progress | None = None,
) -> list[FileOutcome]:
    """Update many workbooks in place, `jobs` at a time; a file that fails does not stop the others.
    rules: the rule set already loaded from rules_dir (used when the files are done here, one by one).
    progress(n): n more orders written (as they are written here; per file from parallel jobs)."""
    args = [(str(p), as_of, language, str(inventory_path) if inventory_path else None, backup) for p in paths]
    init = (str(rules_dir) if rules_dir else None, language, workbook_zone)
    outcomes: list[FileOutcome] = []
    if jobs <= 1 or len(paths) <= 1:
        if rules is not None:
            _WORKER["rules"] = rules
        else:
            _worker_init(*init)
        for a in args:
            outcomes.append(_worker_run(*a, True, progress))
            if done:
                done(outcomes[-1])
        return outcomes
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=init) as pool:
        futures = [pool.submit(_worker_run, *a, False) for a in args]  # the cores are taken: no halves
        for future in futures:
            outcomes.append(future.result())
            if progress is not None and outcomes[-1].report is not None:
                progress(outcomes[-1].report.orders)
            if done:
                done(outcomes[-1])
    return outcomes
