"""The `wishxl` command line: thin wrappers around addin.service.

Exit codes: 0 done (rows with data problems are reported in the output and the
summary, not as a failure); 1 the rule set is invalid; 2 wrong usage; 3 an input
file cannot be read or the output cannot be written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from addin.config.loader import DEFAULT_RULES, check_rules, load_ruleset
from addin.config.yamlfile import RulesError
from addin.io.reader import InputError
from addin.service import parse_as_of, recalc as recalc_service

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
    input: Annotated[Path, typer.Argument(help="Orders workbook (.xlsx/.xlsm, sheet 'Orders') or .csv.")],
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help="Workbook to write (Orders + Fines).")] = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="Rules folder (default: the bundled rules/).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="'Now' for deadlines and risks, ISO time; "
                                                  "naive = workbook zone (default: the current time).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="en or zh (default: rules/settings.yaml).")] = None,
    workbook_zone: Annotated[Optional[str], typer.Option("--workbook-zone", help="Zone of naive timestamps, "
                                                          "e.g. Asia/Shanghai (default: rules/settings.yaml).")] = None,
    inventory: Annotated[Optional[Path], typer.Option("--inventory", help="Inventory table (SKU, Stock); default: "
                                                       "the workbook's Inventory sheet, if any.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Recalculate the orders of INPUT into a new workbook.

    Example: wishxl recalc orders.xlsx --out orders-checked.xlsx --as-of 2018-11-05T09:00:00-08:00
    """
    if lang is not None and lang not in ("en", "zh"):
        err.print(f"--lang must be en or zh, not {lang!r}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)
    if out_path is None:
        err.print("give --out OUTPUT.xlsx (the workbook to write)", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)
    if workbook_zone is not None:
        try:
            ZoneInfo(workbook_zone)
        except (ZoneInfoNotFoundError, ValueError):
            err.print(f'--workbook-zone: unknown time zone "{workbook_zone}"', soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None
    try:
        ruleset = load_ruleset(rules, language=lang, workbook_zone=workbook_zone)
    except RulesError as e:
        err.print(str(e), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_RULES) from None
    try:
        now = parse_as_of(as_of, ruleset)
    except ValueError as e:
        err.print(str(e), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task(f"{input.name}: rows", total=None)
            report = recalc_service(input, out_path, rules=ruleset, as_of=now, language=lang,
                                    inventory_path=inventory, progress=lambda n: bar.advance(task, n))
    except InputError as e:
        err.print(str(e), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    except OSError as e:
        err.print(f"{out_path}: cannot write ({e.strerror or e})", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    if as_json:
        out.print_json(json.dumps(report.as_json(), ensure_ascii=False, default=str))
        return
    for note in report.notes:
        err.print(note, markup=False, soft_wrap=True)
    for line in report.problems[:20]:
        err.print(line, markup=False, soft_wrap=True)
    if len(report.problems) > 20:
        err.print(f"... and {len(report.problems) - 20} more (see the Validation column)")
    table = Table(title=f"{report.input} → {report.output}")
    for column in ("orders", "with errors", "with warnings", "fines", "fines (USD)", "open appeals", "nearest appeal"):
        table.add_column(column, justify="right")
    table.add_row(str(report.orders), str(report.with_errors), str(report.with_warnings), str(report.fines),
                  f"{report.fines_total:,.2f}", str(report.open_appeals),
                  report.nearest_appeal.strftime("%Y-%m-%d %H:%M") if report.nearest_appeal else "-")
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
