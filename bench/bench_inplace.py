"""In-place recalculation of a merchant's .xlsm, against the alternatives, in the same run.

For each size, a macro workbook is built like a merchant's: the xlwings VBA project, an Orders
sheet of N synthetic orders, an Inventory sheet, a Notes sheet and a Dashboard of formulas over
Orders. Then, each in its own process (for a clean peak RSS), on a fresh copy:

  wishxl     `wishxl recalc BOOK --as-of ...`: the computed columns and the Fines sheet, in place;
  openpyxl   load_workbook(keep_vba=True), the same eight computed columns set on every row, save
             (the values computed by the same engine, so only the file handling differs);
  libreoffice the ship-by time, the cancellation fine and its 3-business-day appeal deadline written
             as native Excel formulas (WORKDAY.INTL with a holiday range, IF, MAX), recalculated by
             LibreOffice headless; its results are checked against wishxl's.

wishxl is timed as the command an operator runs (`python -m addin recalc`: starting Python and
importing count, as LibreOffice's start counts), and run again over the workbook it wrote (what
an operator runs every day after: the computed columns and the Fines sheet are then there).

It prints seconds, peak MB and the ratios; the issue asks wishxl to be 10x faster than openpyxl
and 3x faster than LibreOffice at 100k, under 400 MB, and under 60 s / 1 GB at 1M.

    .venv/bin/python bench/bench_inplace.py                 # 10k and 100k
    .venv/bin/python bench/bench_inplace.py --sizes 10000,100000,1000000 --skip openpyxl
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AS_OF = "2019-08-01T09:00:00Z"
LA = ZoneInfo("America/Los_Angeles")


def build(n: int, path: Path, formulas: bool = False) -> None:
    """A merchant-like .xlsm of n orders (formulas=True adds the policy columns as Excel formulas)."""
    import holidays
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    import xlwings
    from addin.config.loader import load_ruleset
    from bench_rules import make_orders

    rules = load_ruleset(ROOT / "rules")
    names = list(rules.fields)
    orders = make_orders(n, 7)
    vba = path.parent / "vbaProject.bin"
    vba.write_bytes(zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm").read("xl/vbaProject.bin"))
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(str(vba))
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    days = sorted(d for d in holidays.country_holidays("US", years=range(2017, 2021)))
    hol = wb.add_worksheet("Holidays")
    for r, d in enumerate(days):
        hol.write_datetime(r, 0, datetime(d.year, d.month, d.day), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws = wb.add_worksheet("Orders")
    headers = [rules.fields[f].header for f in names]
    extra = ["F Ship By", "F Cancel Fine", "F Appeal Deadline"] if formulas else []
    ws.write_row(0, 0, headers + extra)
    col = {f: i for i, f in enumerate(names)}
    L = lambda f: xl_col_to_name(col[f])  # noqa: E731
    for r, o in enumerate(orders, start=1):
        for c, f in enumerate(names):
            v = o.get(f)
            if v is None:
                continue
            if isinstance(v, datetime):
                ws.write_datetime(r, c, v.astimezone(LA).replace(tzinfo=None), when)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))
        if formulas:
            x = r + 1
            rel, ref, by, conf = L("released_at"), L("refunded_at"), L("refunded_by"), L("tracking_confirmed_at")
            base = len(names)
            ws.write_formula(r, base, f"=IF({rel}{x}=\"\",\"\",{rel}{x}+5)", when)
            fine = (f'=IF(AND({rel}{x}>DATE(2018,10,17)+17/24,{by}{x}="merchant",{ref}{x}<>"",'
                    f'OR({conf}{x}="",{conf}{x}>{ref}{x})),MAX(2,0),0)')
            ws.write_formula(r, base + 1, fine)
            ws.write_formula(r, base + 2, f'=IF({xl_col_to_name(base + 1)}{x}>0,'
                             f"WORKDAY.INTL(INT({ref}{x}),3,1,Holidays!$A$1:$A${len(days)})+MOD({ref}{x},1),\"\")", when)
    inv = wb.add_worksheet("Inventory")
    inv.write_row(0, 0, ["SKU", "Stock"])
    for r, sku in enumerate(sorted({o["sku"] for o in orders if o.get("sku")}), start=1):
        inv.write_row(r, 0, [sku, 1000])
    wb.add_worksheet("Notes").write("A1", "Merchant notes")
    dash = wb.add_worksheet("Dashboard")
    dash.write_formula("A1", "=COUNTA(Orders!A:A)-1")
    dash.write_formula("A2", "=SUM(Orders!G:G)")
    dash.write_formula("A3", '=COUNTIF(Orders!C:C,"SHIPPED")')
    wb.close()


def _pss_kb(pid: int) -> int:
    """A process's proportional set size (shared pages split between the processes sharing them)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _own_peak_mb() -> float:
    """This process's peak RSS since it started (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    over from the process that exec'd this one (subprocess forks the bench, whose workbook of a million
    orders was built in memory), which showed 1.7 GB at 1M for a run that peaked at 0.8 GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakPss:
    """The largest sum of the PSS of this process's descendants (the wishxl command and the second
    process it forks), sampled every 20 ms: the memory a forked second process really adds (its
    pages shared with the first are counted once); and each one's peak RSS (VmHWM) as last seen.
    Reading smaps_rollup walks the process's pages: the run that samples is not the one timed."""

    def __init__(self) -> None:
        import threading
        self.peak, self.done = 0, threading.Event()
        self.hwm: dict[int, tuple[int, int]] = {}  # pid -> (generation: 1 child, 2 grandchild), peak RSS KB
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.02):
            total = 0
            for pid, generation in _descendants(os.getpid()):
                total += _pss_kb(pid)
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    kb = int(next(x for x in status.splitlines() if x.startswith("VmHWM:")).split()[1])
                    self.hwm[pid] = (generation, max(kb, self.hwm.get(pid, (0, 0))[1]))
                except (OSError, StopIteration, ValueError):
                    pass
            self.peak = max(self.peak, total)

    def stop(self) -> tuple[float, list[float]]:
        """The peak PSS in MB, and the peak RSS in MB of the first process and of its forked one."""
        self.done.set()
        self.thread.join()
        parts = [max((kb for g, kb in self.hwm.values() if g == generation), default=0) / 1024
                 for generation in (1, 2)]
        return self.peak / 1024, parts


def _descendants(pid: int, generation: int = 1) -> list[tuple[int, int]]:
    """(pid, generation) of each process below pid (one that ends while it is read is left out)."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found.append((child, generation))
            found += _descendants(child, generation + 1)
    return found


def run_child(kind: str, path: Path) -> dict:
    if kind in ("wishxl", "wishxl-memory"):  # timed without the sampler, memory sampled in a run of its own
        # The command an operator runs, end to end: starting Python and importing count, as
        # LibreOffice's start counts in its time.
        pss = PeakPss() if kind == "wishxl-memory" else None
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "addin", "recalc", str(path), "--as-of", AS_OF], cwd=ROOT,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t
        assert done.returncode == 0, done.stdout + done.stderr
        mb, parts = pss.stop() if pss else (0.0, [0.0, 0.0])  # (one process alone: its RSS, if larger)
        return {"s": seconds, "mb": max(mb, parts[0]), "mb_parts": [round(x) for x in parts]}
    if kind == "openpyxl":
        import warnings

        import openpyxl

        from addin.config.loader import load_ruleset
        from addin.domain.batch import Batch, BatchEngine
        from addin.domain.present import OUTPUT_COLUMNS, render
        from addin.io.reader import read_orders
        from addin.service import parse_as_of
        t = time.perf_counter()
        rules = load_ruleset(ROOT / "rules")
        table = read_orders(path, rules)
        batch = BatchEngine(rules).evaluate(Batch.from_table(table), parse_as_of(AS_OF, rules))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, keep_vba=True)
        ws = wb["Orders"]
        base = len(table.headers)
        for c, name in enumerate(OUTPUT_COLUMNS, start=base + 1):
            ws.cell(1, c, name)
        for k in range(table.n):
            cells = render(batch.row(k), batch.result(k), rules)
            for c, name in enumerate(OUTPUT_COLUMNS, start=base + 1):
                ws.cell(table.order_rows[k], c, cells[name])
        wb.save(path)
        return {"s": time.perf_counter() - t}
    if kind == "libreoffice":
        profile = Path(tempfile.mkdtemp())
        xcu = profile / "user" / "registrymodifications.xcu"
        xcu.parent.mkdir(parents=True)
        xcu.write_text('<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
                       'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                       '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
                       'oor:op="fuse"><value>0</value></prop></item></oor:items>')
        out = path.parent / "lo"
        t = time.perf_counter()
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                        "--outdir", str(out), str(path)], check=True, capture_output=True)
        return {"s": time.perf_counter() - t, "out": str(out / (path.stem + ".xlsx"))}
    raise ValueError(kind)


def measure(kind: str, path: Path) -> dict:
    """Run one contender in its own process; its peak RSS (LibreOffice's, for LibreOffice) comes back with it."""
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_libreoffice(ours: Path, theirs: Path) -> tuple[int, int]:
    """(orders compared, mismatches) between wishxl's cancellation fines and LibreOffice's formula results."""
    from python_calamine import CalamineWorkbook
    a = CalamineWorkbook.from_path(str(ours)).get_sheet_by_name("Orders").to_python()
    b = CalamineWorkbook.from_path(str(theirs)).get_sheet_by_name("Orders").to_python()
    ha, hb = a[0], b[0]
    compared = mismatches = 0
    for mine, r in zip(a[1:], b[1:]):  # same rows in the same order (Order IDs repeat in the synthetic data)
        compared += 1
        lo_fine = r[hb.index("F Cancel Fine")] or 0
        our_fine = 2.0 if "order-cancellation" in str(mine[ha.index("Explanation")]) and \
            "Fine Order cancellation" in str(mine[ha.index("Explanation")]) else 0.0
        mismatches += float(lo_fine) != our_fine
    return compared, mismatches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--skip", default="", help="comma-separated: openpyxl, libreoffice")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = run_child(args.child[0], Path(args.child[1]))
        if not args.child[0].startswith("wishxl"):  # (wishxl: both its processes, sampled as it ran)
            main_mb = _own_peak_mb()  # openpyxl: this process; LibreOffice: soffice, a child
            other_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            out["mb"], out["mb_parts"] = max(main_mb, other_mb), [round(main_mb), round(other_mb)]
        print(json.dumps(out))
        return 0
    skip = set(filter(None, args.skip.split(",")))
    if shutil.which("soffice") is None:
        skip.add("libreoffice")
    print(f"python {sys.version.split()[0]}; as of {AS_OF}; {os.cpu_count()} cores")
    print(f"{'orders':>9} {'wishxl s':>9} {'MB':>6} {'openpyxl s':>11} {'MB':>6} {'ratio':>6} "
          f"{'LibreOffice s':>14} {'ratio':>6} {'LO checked':>11}")
    growth = []
    for n in (int(s.replace("_", "")) for s in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"wishxl-bench-{n}-"))
        book = work / "shop.xlsm"
        build(n, book)
        row = {}
        for kind in ("wishxl", "openpyxl"):
            if kind in skip:
                continue
            copy = work / f"{kind}.xlsm"
            shutil.copy(book, copy)
            row[kind] = measure(kind, copy)
            if kind == "wishxl":  # sampling /proc/PID/smaps_rollup costs time: memory from a run of its own
                sampled = work / "wishxl-memory.xlsm"
                shutil.copy(book, sampled)
                memory = measure("wishxl-memory", sampled)
                row[kind].update(mb=memory["mb"], mb_parts=memory["mb_parts"])
                # The run an operator makes every day after: the same workbook again, its Orders sheet
                # now holding the computed columns and its Fines sheet the ledger (the same way).
                again = measure("wishxl", copy)
                memory = measure("wishxl-memory", sampled)
                row[kind]["again"] = {"s": again["s"], "mb": memory["mb"], "mb_parts": memory["mb_parts"]}
        lo = "-"
        if "libreoffice" not in skip:
            formulas = work / "formulas.xlsm"
            build(n, formulas, formulas=True)
            row["libreoffice"] = measure("libreoffice", formulas)
            ours = work / "wishxl.xlsm"
            if ours.exists():
                compared, bad = check_libreoffice(ours, Path(row["libreoffice"]["out"]))
                lo = f"{compared - bad}/{compared}"
        w = row["wishxl"]
        o, l = row.get("openpyxl"), row.get("libreoffice")
        print(f"{n:>9,} {w['s']:>9.1f} {w['mb']:>6.0f} "
              f"{(o['s'] if o else float('nan')):>11.1f} {(o['mb'] if o else float('nan')):>6.0f} "
              f"{(o['s'] / w['s'] if o else float('nan')):>5.1f}x "
              f"{(l['s'] if l else float('nan')):>14.1f} {(l['s'] / w['s'] if l else float('nan')):>5.1f}x {lo:>11}",
              flush=True)
        growth.append((n, w))
        shutil.rmtree(work, ignore_errors=True)
    print("\nwishxl as the workbook grows (MB: both processes together; main+second: each one's peak RSS;")
    print("again: a second run over the workbook the first one wrote):")
    print(f"{'orders':>9} {'s':>7} {'µs/order':>9} {'x time':>7} {'MB':>6} {'main+second':>12} {'KB/order':>9} "
          f"{'again s':>8} {'MB':>6} {'main+second':>12}")
    n0, w0 = growth[0]
    for n, w in growth:
        a = w["again"]
        print(f"{n:>9,} {w['s']:>7.1f} {w['s'] / n * 1e6:>9.1f} {w['s'] / w0['s']:>6.1f}x {w['mb']:>6.0f} "
              f"{'+'.join(str(x) for x in w['mb_parts']):>12} {w['mb'] * 1024 / n:>9.2f} "
              f"{a['s']:>8.1f} {a['mb']:>6.0f} {'+'.join(str(x) for x in a['mb_parts']):>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
