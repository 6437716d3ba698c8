"""The `wishxl` command line: thin wrappers around addin.service.

Exit codes: 0 done (rows with data problems are reported in the output and the
summary, not as a failure); 1 the rule set is invalid; 2 wrong usage; 3 an input
file cannot be read or the output cannot be written.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from addin.config.loader import DEFAULT_RULES, check_rules, load_ruleset
from addin.config.yamlfile import RulesError
from addin.io.package import PackageError
from addin.io.reader import InputError
from addin.service import parse_as_of, recalc as recalc_service, recalc_many

EXIT_RULES, EXIT_USAGE, EXIT_INPUT = 1, 2, 3

app = typer.Typer(
    help="Wish order processing in Excel: validation, workflow status, fines and appeal deadlines from rules/*.yaml.\n\n"
         "Exit codes: 0 done; 1 invalid rule set; 2 wrong usage; 3 unreadable input or unwritable output.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="Check rule sets.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


@app.command()
def recalc(
    inputs: Annotated[list[str], typer.Argument(help="Workbooks (.xlsx/.xlsm, sheet 'Orders'; globs allowed), "
                                                    "or one .csv with --out.", show_default=False)],
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write a new workbook (Orders + Fines) "
                                                     "instead of updating INPUT in place (one input only).")] = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="Rules folder (default: the bundled rules/).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="'Now' for deadlines and risks, ISO time; "
                                                  "naive = workbook zone (default: the current time).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="en or zh (default: rules/settings.yaml).")] = None,
    workbook_zone: Annotated[Optional[str], typer.Option("--workbook-zone", help="Zone of naive timestamps, "
                                                          "e.g. Asia/Shanghai (default: rules/settings.yaml).")] = None,
    inventory: Annotated[Optional[Path], typer.Option("--inventory", help="Inventory table (SKU, Stock); default: "
                                                       "the workbook's Inventory sheet, if any.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Workbooks processed in parallel.")] = 1,
    backup: Annotated[bool, typer.Option("--backup", help="Keep the previous version as NAME.bak.xlsx.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Recalculate orders: in place (the Orders computed columns and the Fines sheet; nothing else in the
    file changes), or into a new workbook with --out.

    Exit codes: 0 every file done (rows with data problems are reported, not failures); 1 invalid rule
    set; 2 wrong usage; 3 a file could not be read, was locked (open in Excel) or could not be written.

    Example: wishxl recalc shop-*.xlsm --as-of 2018-11-05T09:00:00-08:00 --jobs 2
    """
    if lang is not None and lang not in ("en", "zh"):
        _fail(f"--lang must be en or zh, not {lang!r}", EXIT_USAGE)
    if workbook_zone is not None:
        try:
            ZoneInfo(workbook_zone)
        except (ZoneInfoNotFoundError, ValueError):
            _fail(f'--workbook-zone: unknown time zone "{workbook_zone}"', EXIT_USAGE)
    paths = _expand(inputs)
    if out_path is not None and len(paths) != 1:
        _fail("--out takes exactly one input", EXIT_USAGE)
    if out_path is None and any(p.lower().endswith(".csv") for p in paths):
        _fail("a .csv is not updated in place: give --out OUTPUT.xlsx", EXIT_USAGE)
    try:
        ruleset = load_ruleset(rules, language=lang, workbook_zone=workbook_zone)
    except RulesError as e:
        _fail(str(e), EXIT_RULES)
    try:
        now = parse_as_of(as_of, ruleset)
    except ValueError as e:
        _fail(str(e), EXIT_USAGE)
    if out_path is not None:
        _recalc_to(paths[0], out_path, ruleset, now, lang, inventory, as_json)
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("workbooks", total=len(paths))
        orders = bar.add_task("orders", total=None)
        outcomes = recalc_many(paths, rules_dir=rules, language=lang, workbook_zone=workbook_zone, as_of=now,
                               inventory_path=inventory, backup=backup, jobs=jobs, rules=ruleset,
                               done=lambda _: bar.advance(task), progress=lambda n: bar.advance(orders, n))
    failed = [o for o in outcomes if o.error]
    if as_json:
        out.print_json(json.dumps({"files": [o.report.as_json() for o in outcomes if o.report],
                                   "failed": [{"file": o.path, "message": o.error} for o in failed]},
                                  ensure_ascii=False, default=str))
    else:
        for o in failed:
            err.print(o.error, markup=False, soft_wrap=True)
        _summary([o.report for o in outcomes if o.report])
    if failed:
        raise typer.Exit(EXIT_INPUT)


def _expand(inputs: list[str]) -> list[str]:
    """Paths as given, globs expanded (Windows shells do not expand them); a glob matching nothing is kept."""
    paths: list[str] = []
    for item in inputs:
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else []
        paths.extend(matches or [item])
    return paths


def _fail(message: str, code: int) -> NoReturn:
    err.print(message, markup=False, soft_wrap=True)
    raise typer.Exit(code)


def _recalc_to(source: str, out_path: Path, ruleset: Any, now: Any, lang: str | None, inventory: Path | None,
               as_json: bool) -> None:
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task(f"{Path(source).name}: rows", total=None)
            report = recalc_service(source, out_path, rules=ruleset, as_of=now, language=lang,
                                    inventory_path=inventory, progress=lambda n: bar.advance(task, n))
    except (InputError, PackageError) as e:
        _fail(str(e), EXIT_INPUT)
    except OSError as e:
        _fail(f"{out_path}: cannot write ({e.strerror or e})", EXIT_INPUT)
    if as_json:
        out.print_json(json.dumps(report.as_json(), ensure_ascii=False, default=str))
        return
    _summary([report])


def _summary(reports: list[Any]) -> None:
    for report in reports:
        for note in report.notes:
            err.print(note, markup=False, soft_wrap=True)
        for line in report.problems[:20]:
            err.print(line, markup=False, soft_wrap=True)
        if len(report.problems) > 20:
            err.print(f"... and {len(report.problems) - 20} more (see the Validation column)", soft_wrap=True)
    title = f"{reports[0].input} → {reports[0].output}" if len(reports) == 1 else "Recalculated"
    table = Table(title=title)
    for column in ("file", "orders", "with errors", "with warnings", "fines", "fines (USD)", "open appeals",
                   "nearest appeal"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for r in reports:
        table.add_row(Path(r.output or r.input).name, str(r.orders), str(r.with_errors), str(r.with_warnings),
                      str(r.fines), f"{r.fines_total:,.2f}", str(r.open_appeals),
                      r.nearest_appeal.strftime("%Y-%m-%d %H:%M") if r.nearest_appeal else "-")
    if reports:
        out.print(table)


@rules_app.command("check")
def rules_check(
    directory: Annotated[Optional[Path], typer.Argument(help="Rules folder (default: the bundled rules/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
) -> None:
    """Check a rule set and print every problem as FILE line N: message.

    Example: wishxl rules check rules/
    """
    problems = check_rules(directory)
    if as_json:
        out.print_json(json.dumps([p.as_json() for p in problems], ensure_ascii=False))
    else:
        for p in problems:
            out.print(str(p), markup=False, soft_wrap=True)
        if not problems:
            out.print(f"{directory or DEFAULT_RULES}: OK", soft_wrap=True)
    if problems:
        raise typer.Exit(EXIT_RULES)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
