"""Rule-evaluation cost per order, how it grows with the batch, and a hand-written floor to compare.

Per batch size (10k, 100k, 1M by default), each in its own subprocess so that its peak RSS is clean:
  (a) `Engine.evaluate(orders, now)`: derived values, the validation rules, the workflow walk, the 7 fine
      policies with appeal deadlines (US business days, calendar days, fixed instants), suspensions and
      risks: "the rule evaluation" of the issue, target < 5 us/order at 100k (reported, not asserted);
  (b) presentation, reported separately: `present.render` + `present.fine_rows` for every row.
Orders are synthetic but shaped like the reader's output (every field of rules/fields.yaml, typed, aware
UTC datetimes, None for blanks), drawn from random.Random(seed) so that every policy fines some orders and
the business-day code runs. Generation is never timed; evaluate mutates its orders, so every timed run
gets freshly generated ones.

Why a floor: a number alone does not say whether the engine is slow. The same run times a plain
hand-written function for one policy (order cancellation, $2, appeal within 3 US business days via
python-holidays + numpy busday) against the engine doing that policy alone (`policies.assess`), checks
that both give the same fines (exit 1 if not) and prints the ratios.

    python bench/bench_rules.py                 # 10k, 100k, 1M (a few minutes)
    python bench/bench_rules.py --quick         # 1k, 10k
    python bench/bench_rules.py --sizes 10000,100000 [--seed 7] [--profile 100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UTC = timezone.utc
NOW = datetime(2019, 8, 1, 16, 0, tzinfo=UTC)
START, END = datetime(2018, 1, 1, tzinfo=UTC), datetime(2019, 7, 15, tzinfo=UTC)
TARGET_US = 5.0
H = timedelta(hours=1)

DEST = ["US"] * 50 + ["GB"] * 10 + ["DE"] * 8 + ["FR"] * 7 + ["CA"] * 6 + ["AU"] * 5 + ["MX"] * 4 + ["SE"] * 4 \
    + ["JP"] * 3 + ["BR"] * 3
ZIPS = {"US": lambda r: f"{r.randrange(10000, 99999)}" + ("-1234" if r.random() < .2 else ""),
        "GB": lambda r: r.choice(["SW1A 1AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH"]),
        "CA": lambda r: r.choice(["K1A 0B1", "M5V 3L9", "H2X 1Y4", "V6B 4Y8"]),
        "AU": lambda r: f"{r.randrange(1000, 9999)}", "JP": lambda r: f"{r.randrange(100, 999)}-{r.randrange(1000, 9999)}",
        "BR": lambda r: f"{r.randrange(10000, 99999)}-{r.randrange(100, 999)}", "SE": lambda r: "114 55"}
CARRIERS = {"CN": ["WishPost"] * 17 + ["Yanwen", "China Post", "4PX"], "US": ["USPS", "UPS", "FedEx"],
            "GB": ["Royal Mail", "DHL"], "DE": ["DHL", "Deutsche Post"]}


def make_orders(n: int, seed: int, now: datetime = NOW) -> list[dict]:
    """n orders as the reader gives them: every field of rules/fields.yaml present, typed, blanks None."""
    r = random.Random(seed)
    span = (END - START).total_seconds()
    orders = []
    for i in range(n):
        kind = r.random()  # 0-.60 shipped, .60-.66 refunded before shipping, rest open (recent)
        if kind < 0.66:
            rel = START + timedelta(seconds=int(r.random() * span))
        else:
            rel = now - timedelta(seconds=int(r.random() * 6 * 86400))  # 1 in 6 past ship-by, the rest at risk
        qty = 1 if r.random() < .8 else r.randint(2, 4)
        price = round(r.uniform(120, 300) if r.random() < .03 else r.uniform(1, 60), 2)
        ship = round(r.uniform(0, 8), 2)
        total = round(qty * (price + ship), 2) + (1.0 if r.random() < .005 else 0.0)
        country = r.choice(DEST) if r.random() > .005 else r.choice(["XX", "ZZ", "Atlantis"])
        zf = ZIPS.get(country)
        zipcode = (zf(r) if zf else f"{r.randrange(10000, 99999)}") if r.random() > .04 else r.choice([None, "12", "ABCDE"])
        origin = "CN" if r.random() < .30 else r.choice(["US", "GB", "DE"])
        shipped = confirmed = modified = delivered = refunded = refunded_by = provider = tracking = None
        state, fake, exception = "APPROVED", False, None
        if kind < 0.60:
            state = "SHIPPED"
            shipped = rel + H * (r.uniform(121, 200) if r.random() < .06 else r.uniform(4, 110))
            provider = r.choice(CARRIERS[origin])
            tracking = f"LX{r.getrandbits(40):012d}CN" if r.random() > .005 else "LX 1234 CN"
            modified = shipped + H * r.uniform(1, 48) if r.random() < .05 else None
            if r.random() < .75:  # ~45 % of all orders get a first carrier scan
                confirmed = shipped + H * (r.uniform(120, 400) if r.random() < .10 else r.uniform(6, 110))
                if r.random() < .8:
                    delivered = confirmed + H * r.uniform(72, 500)
            fake = r.random() < .017
            exception = "Returned to sender" if r.random() < .02 else None
            if r.random() < .03:  # refunded after shipping: some by the merchant before the first scan
                refunded = shipped + H * r.uniform(24, 300)
                refunded_by = r.choice(["merchant", "customer", "customer", "wish"])
                state = "REFUNDED"
        elif kind < 0.66:
            state = "REFUNDED"
            refunded = rel + H * r.uniform(1, 110)
            refunded_by = r.choice(["merchant"] * 10 + ["customer"] * 7 + ["wish"] * 2 + [None])
        times = [shipped, confirmed, modified, delivered, refunded]
        shipped, confirmed, modified, delivered, refunded = (t if t is None or t <= now else None for t in times)
        if r.random() < .2:
            state = None
        elif r.random() < .002:
            state = "PENDING"
        orders.append({
            "order_id": f"{r.getrandbits(96):024x}" if r.random() > .001 or not orders else orders[-1]["order_id"],
            "released_at": rel, "order_state": state, "sku": f"SKU-{r.randrange(5000):04d}",
            "product_id": f"{r.randrange(2000):024x}", "product_name": f"Product {r.randrange(2000)}",
            "quantity": qty, "price": price, "shipping": ship, "order_total": total,
            "name": "Jane Doe", "street_address1": f"{r.randrange(1, 999)} Main St", "city": "Springfield",
            "state": "IL", "country": country, "zipcode": zipcode,
            "phone_number": (f"+1 555-{r.randrange(100, 999)}-{r.randrange(1000, 9999)}" if r.random() > .03
                             else "call me") if r.random() > .05 else None,
            "shipping_provider": provider, "tracking_number": tracking, "shipped_at": shipped,
            "tracking_modified_at": modified, "tracking_confirmed_at": confirmed, "tracking_exception": exception,
            "delivered_at": delivered, "paid_at": rel - H * r.uniform(8, 30), "refunded_at": refunded,
            "refunded_by": refunded_by if refunded else None, "refund_reason": "Customer request" if refunded else None,
            "fake_tracking": fake, "origin_country": origin, "_row": i + 2, "_index": i,
        })
    return orders


def make_floor():
    """The hand-written cancellation fine (policy 5.9): (amount, appeal deadline, suspended until) or None."""
    import holidays
    import numpy as np

    la = ZoneInfo("America/Los_Angeles")
    closed = sorted(holidays.country_holidays("US", years=range(2014, 2041), observed=True)) + [date(2018, 12, 5)]
    cal = np.busdaycalendar(weekmask="1111100", holidays=np.array(closed, dtype="datetime64[D]"))
    effective = datetime(2018, 10, 18, 0, 0, tzinfo=UTC)   # after 2018-10-17T17:00-07:00
    switch = datetime(2018, 11, 1, 0, 0, tzinfo=UTC)       # 2018-10-31T17:00-07:00
    fixed = datetime(2018, 11, 8, 1, 0, tzinfo=UTC)        # 2018-11-07T17:00-08:00
    memo: dict[date, date] = {}

    def cancellation(o: dict, now: datetime):
        refunded, rel, scan = o["refunded_at"], o["released_at"], o["tracking_confirmed_at"]
        if o["refunded_by"] != "merchant" or refunded is None or rel is None or rel <= effective:
            return None
        if (scan is not None and scan <= refunded) or refunded > now:
            return None
        if refunded < switch:
            deadline = fixed
        else:
            local = refunded.astimezone(la)
            day = local.date()
            target = memo.get(day)
            if target is None:  # WORKDAY(day, 3): roll a closed start day backward, then count 3
                target = memo[day] = np.busday_offset(day, 3, roll="backward", busdaycal=cal).astype(date)
            deadline = datetime.combine(target, local.time(), la).astimezone(UTC)
        return 2.0, deadline, refunded + 48 * H

    return cancellation


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def best(fn, repeat: int) -> float:
    """The fastest of `repeat` runs of fn(), each after a full collection."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def gc_clock() -> list[float]:
    """Seconds spent in the cyclic garbage collector, accumulated in [0] from now on."""
    spent, started = [0.0], [0.0]

    def hook(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]
    gc.callbacks.append(hook)
    return spent


def child(n: int, seed: int) -> dict:
    """One size, in its own process: print one JSON line of measurements."""
    from addin.config.loader import load_ruleset
    from addin.domain import policies as policy_engine
    from addin.domain.engine import Engine
    from addin.domain.present import fine_rows, render

    rules = load_ruleset(ROOT / "rules")
    engine, out, evals = Engine(rules), {"n": n, "rss_base_mb": rss_mb()}, []
    repeat, gc_spent = 3 if n <= 100_000 else 1, gc_clock()
    for _ in range(repeat):
        orders = results = None
        gc.collect()
        orders = make_orders(n, seed)
        assert set(rules.fields) <= set(orders[0]), f"fields not generated: {set(rules.fields) - set(orders[0])}"
        before = rss_mb()
        out.setdefault("orders_mb", before - out["rss_base_mb"])
        gc.collect()
        gc_before, t = gc_spent[0], time.perf_counter()
        results = engine.evaluate(orders, NOW)
        evals.append((time.perf_counter() - t, gc_spent[0] - gc_before))
        out.setdefault("eval_mb", max(0.0, peak_mb() - before))
    out["eval_s"], out["eval_gc_s"] = min(evals)

    def present():
        for o, res in zip(orders, results):
            render(o, res, rules), fine_rows(res, rules)
    out["render_s"] = best(present, 1)
    out["peak_mb"] = peak_mb()

    # The batch engine: the same rules as numpy calls over columns.
    from addin.domain.batch import Batch, BatchEngine
    batch_engine, fresh = BatchEngine(rules), make_orders(n, seed)
    t = time.perf_counter()
    batch = Batch.from_rows(fresh, rules)
    out["columns_s"] = time.perf_counter() - t
    del fresh
    batch_out = None

    def run_batch():
        nonlocal batch_out
        batch_out = batch_engine.evaluate(batch, NOW)
    out["batch_s"] = best(run_batch, repeat)
    t = time.perf_counter()
    batch_results = batch_out.results()
    out["batch_results_s"] = time.perf_counter() - t
    out["batch_mismatches"] = sum(
        (a.status, a.fines_total, a.appeal_deadline, len(a.issues), len(a.risks)) !=
        (b.status, b.fines_total, b.appeal_deadline, len(b.issues), len(b.risks))
        for a, b in zip(results, batch_results))
    del batch_results, batch_out, batch

    cancel = next(p for p in rules.policies if p.rule.id == "order-cancellation")
    theirs = [next(((f.amount, f.appeal_deadline, f.suspended_until) for f in res.fines if f.policy is cancel), None)
              for res in results]
    deadline = lambda w: ("no window" if w is None else "business days" if w.business_days else  # noqa: E731
                          "calendar days" if w.calendar_days else "fixed instant" if w.until else
                          "no deadline" if w.no_deadline else "not appealable")
    out["mix"] = {"fines": Counter(f.policy.rule.id for res in results for f in res.fines),
                  "appeal deadlines": Counter(deadline(f.appeal_window) for res in results for f in res.fines),
                  "risks": Counter(k.policy.rule.id for res in results for k in res.risks),
                  "status": Counter(res.status for res in results),
                  "orders with errors": sum(any(i.severity == "error" for i in res.issues) for res in results),
                  "orders with warnings only": sum(bool(res.issues) and all(i.severity != "error" for i in res.issues)
                                                   for res in results)}
    del results  # the comparison below runs on the orders alone, so GC sees the same heap for both sides
    cal, zones, floor = rules.calendar.calendar, rules.zones, make_floor()
    screen = policy_engine.Screen((cancel,))
    out["engine_cancel_s"] = best(lambda: [policy_engine.assess(o, screen, cal, zones) for o in orders], 3)
    out["floor_s"] = best(lambda: [floor(o, NOW) for o in orders], 3)
    mine = [floor(o, NOW) for o in orders]
    out["floor_fines"] = sum(m is not None for m in mine)
    out["floor_mismatches"] = sum(m != t for m, t in zip(mine, theirs))
    return out


def profile(n: int, seed: int) -> None:
    import cProfile
    import pstats

    from addin.config.loader import load_ruleset
    from addin.domain.engine import Engine

    engine, orders, prof = Engine(load_ruleset(ROOT / "rules")), make_orders(n, seed), cProfile.Profile()
    prof.runcall(engine.evaluate, orders, NOW)
    pstats.Stats(prof).strip_dirs().sort_stats("tottime").print_stats(15)
    # pstats keys by (file, line, name): all compiled rule lambdas are "<rule>:1(<lambda>)" and overwrite each other.
    lambdas = [e for e in prof.getstats() if getattr(e.code, "co_filename", "") == "<rule>"]
    print(f"compiled rule expressions (<rule>:1(<lambda>), {len(lambdas)} functions): "
          f"{sum(e.callcount for e in lambdas):,} calls, {sum(e.inlinetime for e in lambdas):.3f} s own time, "
          f"of {sum(e.inlinetime for e in prof.getstats()):.3f} s profiled")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated batch sizes")
    ap.add_argument("--quick", action="store_true", help="1k and 10k only")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=int, metavar="N", help="cProfile evaluate on N orders (top 15 by tottime)")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seed), default=str))
        return 0
    if args.profile:
        profile(args.profile, args.seed)
        return 0
    import holidays
    import numpy

    sizes = [1000, 10000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",")]
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, holidays {holidays.__version__}; "
          f"now = {NOW.isoformat()}, seed {args.seed}")
    us = lambda row, key: row[key] / row["n"] * 1e6  # noqa: E731
    print("\n(a) Engine.evaluate = rule evaluation (validation, workflow, fines, deadlines); "
          "(b) render + fine_rows = presentation; times in us (microseconds)")
    print(f"{'orders':>9} {'eval s':>8} {'(a) us/order':>12} {'growth':>7} {'GC %':>5} {'(b) us/order':>12} "
          f"{'a+b':>8} {'orders MB':>10} {'eval +MB':>9} {'peak RSS MB':>12}", flush=True)
    rows = []
    for n in sizes:
        proc = subprocess.run([sys.executable, __file__, "--child", str(n), "--seed", str(args.seed)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        rows.append(row := json.loads(proc.stdout.strip().splitlines()[-1]))
        a, b = us(row, "eval_s"), us(row, "render_s")
        print(f"{n:>9,} {row['eval_s']:>8.3f} {a:>12.2f} {a / us(rows[0], 'eval_s'):>6.2f}x "
              f"{row['eval_gc_s'] / row['eval_s']:>5.0%} {b:>12.2f} {a + b:>8.2f} {row['orders_mb']:>10.0f} "
              f"{row['eval_mb']:>9.0f} {row['peak_mb']:>12.0f}", flush=True)
    print("growth = (a) us/order / (a) at the smallest size; GC % = share of (a) spent in the cyclic garbage "
          "collector; (a) best of 3 runs up to 100k, 1 run above;\norders MB = RSS of the generated orders, "
          "eval +MB = RSS growth during evaluate, peak RSS = whole process")

    print("\nOrder cancellation only (1 of 7 policies): hand-written floor vs the engine's policies.assess")
    print(f"{'orders':>9} {'floor us':>9} {'engine us':>10} {'ratio':>7} {'full eval/floor':>16} {'fines':>7} "
          f"{'mismatch':>9}")
    for row in rows:
        f, c = us(row, "floor_s"), us(row, "engine_cancel_s")
        print(f"{row['n']:>9,} {f:>9.3f} {c:>10.3f} {c / f:>6.1f}x {us(row, 'eval_s') / f:>15.1f}x "
              f"{row['floor_fines']:>7,} {row['floor_mismatches']:>9}")

    print("\nBatch engine (numpy over columns, addin/domain/batch.py) on the same orders: (c) evaluate, "
          "and what it costs around it")
    print(f"{'orders':>9} {'(c) us/order':>12} {'vs (a)':>7} {'rows->columns us':>17} {'results() us':>13} "
          f"{'mismatch':>9}")
    for row in rows:
        c = us(row, "batch_s")
        print(f"{row['n']:>9,} {c:>12.2f} {us(row, 'eval_s') / c:>6.1f}x {us(row, 'columns_s'):>17.2f} "
              f"{us(row, 'batch_results_s'):>13.2f} {row['batch_mismatches']:>9}")
    print("rows->columns: converting dicts of Python values (a reader that fills columns directly skips it); "
          "results(): one OrderResult per order, for presentation")

    print(f"\nMix of the {rows[0]['n']:,}-order batch:")
    for key, value in rows[0]["mix"].items():
        print(f"  {key}: {value}")
    hit = next((row for row in rows if row["n"] == 100_000), None)
    if hit is None:
        print("\nTarget: 100k not measured (add 100000 to --sizes)")
    else:
        a, b, c = us(hit, "eval_s"), us(hit, "render_s"), us(hit, "batch_s")
        for name, value in (("row engine", a), ("batch engine", c)):
            verdict = "MEETS" if value < TARGET_US else "MISSES"
            print(f"Target at 100k: {name} evaluate {value:.2f} us/order {verdict} the {TARGET_US:g} us target")
        print(f"(presentation, per order: {b:.2f} us)")
    return 1 if any(row["floor_mismatches"] or row["batch_mismatches"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
