"""The command line: ``python -m benchmarks [--quick] [--sizes …] [--keep]`` (``make bench``)."""

from __future__ import annotations

import argparse
import cProfile  # noqa: F401  (the profile runs use `python -m cProfile`; imported to fail early if absent)
import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from .config import CASES, CLI, FLOOR_CODE, RESULTS, ROOT, Case, runs_for
from .documents import data_rows, generate
from .masters import make_masters
from .measure import (
    Measure,
    Row,
    WatchResult,
    check_result,
    convert_cmd,
    fresh_run_dir,
    measure_startup,
    measure_watcher,
    parse_result,
    profile,
    profile_tables,
    run_measured,
    seed_ledger,
)
from .report import machine_info, size_label, tree_fingerprint, write_report
from .vocab import rng_for


# ============================================================================ main
def masters_for(rows: int) -> tuple[int, int]:
    """Customers and products referenced by a transaction file of ``rows`` rows."""
    return max(200, min(20_000, rows // 50)), 2_000


def median_run(runs: int, once, failed=None) -> tuple:
    """``once(i)`` (a (Measure, folder) pair) ``runs`` times: the run of median wall time, with the
    highest peak RSS of them all. Every run must succeed: the first that failed, timed out or (by
    ``failed``) gave a bad result is what is reported instead."""
    done = [once(i) for i in range(runs)]
    bad = [
        pair for pair in done if pair[0].returncode != 0 or pair[0].timed_out or (failed and failed(pair[0]))
    ]
    if bad:
        return bad[0]
    done.sort(key=lambda pair: pair[0].seconds)
    measure, folder = done[len(done) // 2]
    return dataclasses.replace(measure, rss_mb=max(pair[0].rss_mb for pair in done)), folder


def conversion_failed(measure: Measure) -> bool:
    """A conversion whose JSON result is not "converted" with no errors."""
    res = parse_result(measure.stdout)
    return res.get("status") != "converted" or any(
        i.get("severity") == "error" for i in res.get("issues", [])
    )


def floor_run(sdir: Path, case: Case, path: Path, args: argparse.Namespace, i: int) -> tuple:
    """The floor (pandas reads and writes the file) once, in a fresh process and folder."""
    fdir = fresh_run_dir(sdir, f"floor-{case.key}-{i}", None)
    cmd = [
        sys.executable,
        "-c",
        FLOOR_CODE,
        str(path),
        str(fdir / "out.csv"),
        case.in_encoding,
        case.out_encoding,
    ]
    m = run_measured(cmd, cwd=fdir, log_stem=fdir / "floor", timeout=args.timeout)
    if m.returncode == 0 and not args.keep:
        shutil.rmtree(fdir, ignore_errors=True)
    return m, fdir


def conversion_run(
    sdir: Path, case: Case, path: Path, seed: Path | None, args: argparse.Namespace, i: int
) -> tuple:
    """The conversion once, in a fresh process, with a fresh outbox and copy of the seeded ledger."""
    run_dir = fresh_run_dir(sdir, f"run-{case.key}-{i}", seed)
    m = run_measured(
        convert_cmd(path, run_dir), cwd=run_dir, log_stem=run_dir / "convert", timeout=args.timeout
    )
    return m, run_dir


def preflight(base: Path, timeout: float, cases: list[Case]) -> None:
    """Generate small files of every case, convert them, and insist on "converted" with no errors."""
    rows = 2_000
    n_c, n_p = masters_for(rows)
    masters = make_masters(n_c, n_p, rng_for(0, 99))
    seed = seed_ledger(base / "preflight", masters)
    problems = []
    for case in cases:
        path = base / "preflight" / f"pre-{case.file_name}"
        generate(case, path, rows, masters, 99)
        got = data_rows(path, case.in_encoding)
        run_dir = fresh_run_dir(
            base / "preflight", f"run-{case.key}", seed if case.kind == "invoices" else None
        )
        m = run_measured(
            convert_cmd(path, run_dir), cwd=run_dir, log_stem=run_dir / "convert", timeout=timeout
        )
        res = parse_result(m.stdout)
        errors = [i for i in res.get("issues", []) if i.get("severity") == "error"]
        status = res.get("status")
        print(
            f"  preflight {case.key}: {got} rows, {status}, {len(errors)} errors, {res.get('records_out')} out",
            flush=True,
        )
        if got != rows:
            problems.append(f"{case.key}: generated {got} rows, wanted {rows}")
        if status != "converted" or errors:
            problems.append(
                f"{case.key}: {status}; "
                + "; ".join(
                    f"row {i.get('row')} {i.get('column')} {i.get('code')}: {i.get('message')}"
                    for i in errors[:5]
                )
                + (m.stderr.read_text()[-1500:] if status == "no-json" else "")
            )
    shutil.rmtree(base / "preflight", ignore_errors=True)
    if problems:
        raise SystemExit("generated data is not accepted by the converter:\n  " + "\n  ".join(problems))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes",
        default="1000,10000,100000,1000000",
        help="rows per file, comma-separated (default %(default)s)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="1k and 10k rows only, fewer watcher drops: a smoke run"
    )
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up commands' timing")
    ap.add_argument(
        "--data-dir", type=Path, help="where generated data goes (default: a new temporary folder)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated data and run folders")
    ap.add_argument("--results", type=Path, default=RESULTS, help="report path (default %(default)s)")
    ap.add_argument(
        "--profile-size",
        type=int,
        default=100_000,
        help="size profiled (default 100000; else the largest run)",
    )
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--no-watch", action="store_true")
    ap.add_argument("--drops", type=int, default=5, help="watcher drops per mode (default %(default)s)")
    ap.add_argument(
        "--poll",
        type=float,
        default=2.0,
        help="poll interval for the polling watcher run (default %(default)s)",
    )
    ap.add_argument("--timeout", type=float, default=7200.0, help="per-process timeout in seconds")
    ap.add_argument("--cases", default=",".join(c.key for c in CASES), help="cases to run (default: all)")
    ap.add_argument(
        "--note",
        default="",
        help="a caveat printed in RESULTS.md (e.g. other work on the machine during the run)",
    )
    args = ap.parse_args(argv)
    args.size_list = [1_000, 10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.drops = min(args.drops, 3)
    wanted = {k.strip() for k in args.cases.split(",")}
    cases = [c for c in CASES if c.key in wanted]
    if not CLI.exists():
        raise SystemExit(
            f"{CLI} not found: run `make bench` (or `make test`) to install the project into .venv first"
        )

    started = dt.datetime.now().astimezone()
    t_start = time.perf_counter()

    def report() -> None:
        """RESULTS.md as it stands (after each size, so an interrupted run leaves results)."""
        write_report(
            args.results,
            args=args,
            info=info,
            rows=rows,
            watch=watch,
            profiles=profiles,
            started=started,
            load=(load0, os.getloadavg()),
            startup=startup,
            masters_note="; ".join(masters_notes),
            elapsed=time.perf_counter() - t_start,
        )

    # Byte-compile the converter first, as installing a wheel does: with PYTHONDONTWRITEBYTECODE set
    # (as in some shells and CI) every run would otherwise compile its ~60 modules from source again.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "converter")], check=True)
    load0 = os.getloadavg()
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="bizops-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"benchmark data in {base}", flush=True)
    info = machine_info()
    rows: list[Row] = []
    profiles: dict[str, tuple[int, dict[str, str]]] = {}
    watch: list[WatchResult] = []
    profile_at = args.profile_size if args.profile_size in args.size_list else max(args.size_list)
    masters_notes = []
    startup = []
    try:
        if not args.no_startup:
            print("start-up: --help, status, batches against import pandas", flush=True)
            startup = measure_startup(base)
        if cases:
            print("preflight: small generated files must convert with no errors", flush=True)
            preflight(base, args.timeout, cases)
        for si, size in enumerate(args.size_list, start=1):
            sdir = base / f"size-{size}"
            sdir.mkdir(exist_ok=True)
            masters = seed = None
            if any(c.kind == "invoices" for c in cases):
                n_c, n_p = masters_for(size)
                masters_notes.append(f"{size_label(size)}: {n_c:,} customers, {n_p:,} products")
                t = time.perf_counter()
                masters = make_masters(n_c, n_p, rng_for(si, 77))
                seed = seed_ledger(sdir, masters)
                print(
                    f"[{size_label(size)}] ledger seeded with {n_c} customers, {n_p} products in {time.perf_counter() - t:.1f} s",
                    flush=True,
                )
            for case in cases:
                path = sdir / case.file_name
                t = time.perf_counter()
                generate(case, path, size, masters, si)
                row = Row(case, size, rows=data_rows(path, case.in_encoding), tree=tree_fingerprint())
                mb = path.stat().st_size / 1e6
                print(
                    f"[{size_label(size)}] {case.key}: generated {row.rows:,} rows ({mb:.0f} MB) in {time.perf_counter() - t:.1f} s",
                    flush=True,
                )
                # floor and conversion (up to 100k rows: the median of several runs of each)
                runs = runs_for(size)
                row.floor, _ = median_run(runs, partial(floor_run, sdir, case, path, args))
                if row.floor.returncode != 0:
                    row.note = f"floor failed: {row.floor.stderr.read_text()[-300:]}"
                seeded = seed if case.kind == "invoices" else None
                row.conv, _ = median_run(
                    runs, partial(conversion_run, sdir, case, path, seeded, args), conversion_failed
                )
                res = parse_result(row.conv.stdout)
                check_result(row, res)
                if res.get("status") == "no-json":
                    row.note = (
                        row.note + " " if row.note else ""
                    ) + f"no JSON result; stderr: {row.conv.stderr.read_text()[-300:]}"
                rows.append(row)
                print(
                    f"[{size_label(size)}] {case.key}: {row.conv.seconds:.2f} s ({row.rows / row.conv.seconds:,.0f} rows/s, "
                    f"{row.conv.rss_mb:,.0f} MB), floor {row.floor.seconds:.2f} s ({row.floor.rss_mb:,.0f} MB), "
                    f"ratio {row.ratio or 0:.1f}x, {row.status}, {row.errors} errors",
                    flush=True,
                )
                if not args.keep:
                    for old_run in sdir.glob(f"run-{case.key}*"):
                        shutil.rmtree(old_run, ignore_errors=True)
                if size == profile_at and not args.no_profile:
                    pdir = fresh_run_dir(sdir, f"prof-{case.key}", seed if case.kind == "invoices" else None)
                    t = time.perf_counter()
                    prof = profile(case, path, pdir, pdir / "profile", args.timeout)
                    profiles[case.key] = (size, profile_tables(prof) | {"tree": tree_fingerprint()})
                    print(
                        f"[{size_label(size)}] {case.key}: profiled in {time.perf_counter() - t:.1f} s",
                        flush=True,
                    )
                    if not args.keep:
                        shutil.rmtree(pdir, ignore_errors=True)
                if not args.keep:
                    path.unlink(missing_ok=True)
            if not args.keep:
                shutil.rmtree(sdir, ignore_errors=True)
            # Partial report after each size, so a long run leaves results even if interrupted.
            report()
        if not args.no_watch:
            for poll, aged in ((None, False), (None, True), (args.poll, False)):
                w = measure_watcher(base, poll=poll, drops=args.drops, aged=aged)
                watch.append(w)
                print(
                    f"watcher {w.mode}: {', '.join(f'{x:.2f}' for x in w.latencies)} s {w.note}", flush=True
                )
        report()
        print(f"wrote {args.results}", flush=True)
    finally:
        if args.keep:
            print(f"kept {base}", flush=True)
        elif args.data_dir is None:
            shutil.rmtree(base, ignore_errors=True)
        else:
            for child in base.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
    return 0
