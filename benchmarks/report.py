"""The report: machine and code fingerprint, verdicts against the targets, RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from .config import (
    CASES,
    CUSTOMERS_100K_TARGET_S,
    RATIO_MIN_SIZE,
    RATIO_TARGET,
    ROOT,
    RSS_TARGET_MB,
    RUNS_UP_TO,
    SEED,
    SMALL_FILE_ROWS,
    SMALL_FILE_TARGET_S,
)
from .measure import PANDAS_LABEL, Row, Startup, WatchResult


# ============================================================================ report
def tree_fingerprint() -> str:
    """Short fingerprint of the code measured (converter/, templates included: names, sizes, mtimes).

    Others may edit the converter while a long run goes on; the report shows which rows ran on which code.
    """
    import hashlib

    h = hashlib.sha1()
    for folder in (ROOT / "converter",):
        for f in sorted(folder.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                st = f.stat()
                h.update(f"{f.relative_to(ROOT)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:8]


def machine_info() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    except OSError:
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return "?"

    dirty = [ln[3:] for ln in git("status", "--porcelain", "converter").splitlines() if ln.strip()]
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "RAM": mem,
        "OS": os_name,
        "Python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "Converter": f"{git('rev-parse', '--short', 'HEAD').strip()}"
        + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else " (clean converter/)"),
    }


def fmt_s(v: float | None) -> str:
    return "–" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def fmt_int(v: float) -> str:
    return f"{v:,.0f}"


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (f"{n // 1000}k" if n % 1000 == 0 else str(n))


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**PASS**" if ok else "**FAIL**")


CUSTOMERS_KEY = f"≤{CUSTOMERS_100K_TARGET_S:g} s"
SMALL_KEY = f"<{SMALL_FILE_TARGET_S:g} s"


def evaluate(rows: list[Row]) -> None:
    for r in rows:
        if r.ratio is not None and r.size >= RATIO_MIN_SIZE:
            r.targets["≤2× floor"] = r.ratio <= RATIO_TARGET
        if r.size >= 1_000_000 and r.conv:
            r.targets["RSS<1GB"] = r.conv.rss_mb < RSS_TARGET_MB
        if r.case.kind == "customers" and r.size == 100_000 and r.conv:
            r.targets[CUSTOMERS_KEY] = r.conv.seconds <= CUSTOMERS_100K_TARGET_S
        if r.size <= SMALL_FILE_ROWS and r.conv:
            r.targets[SMALL_KEY] = r.conv.seconds < SMALL_FILE_TARGET_S
        if r.conv and (r.conv.timed_out or r.status != "converted" or r.errors):
            r.targets["converted"] = False


def write_report(
    path: Path,
    *,
    args: argparse.Namespace,
    info: dict[str, str],
    rows: list[Row],
    watch: list[WatchResult],
    profiles: dict[str, tuple[int, dict[str, str]]],
    started: dt.datetime,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    startup: list[Startup],
    masters_note: str,
    elapsed: float,
) -> None:
    evaluate(rows)
    L: list[str] = []
    L.append("# Benchmark results: `bizops-sage50 convert` and the inbox watcher")
    L.append("")
    L.append(
        f"Written by `python -m benchmarks` ({'quick run, ' if args.quick else ''}sizes "
        f"{', '.join(size_label(s) for s in args.size_list)}) on {started:%Y-%m-%d %H:%M %Z}; the run took "
        f"{elapsed / 60:.1f} min. Re-run with `make bench` (or `.venv/bin/python -m benchmarks --quick`)."
    )
    L.append("")
    L.append("## Machine")
    L.append("")
    for k, v in info.items():
        L.append(f"- **{k}**: {v}")
    L.append(
        f"- **Load average** (1/5/15 min) at start {load[0][0]:.2f}/{load[0][1]:.2f}/{load[0][2]:.2f}, at end {load[1][0]:.2f}/{load[1][1]:.2f}/{load[1][2]:.2f}"
    )
    if startup:
        help_ = startup[0]
        L.append(
            f"- **CLI start-up** ({help_.label}): {help_.median:.2f} s wall (median; included in every conversion time)"
        )
    trees = list(dict.fromkeys(r.tree for r in rows if r.tree))
    if len(trees) > 1:
        L.append(
            f"- **Code changed during the run**: converter/ (templates included) had {len(trees)} different states "
            f"({', '.join(trees)}, in order); the **Code** column of each table says which one a row measured, so "
            "rows with different codes are not comparable."
        )
    elif trees:
        L.append(
            f"- **Code fingerprint** (converter/, templates included): {trees[0]}, unchanged during the run"
        )
    if args.note:
        L.append("")
        L.append(f"> **Caveat for this run:** {args.note}")
    L.append("")
    L.append("## How it was measured")
    L.append("")
    L.append(
        "- Each conversion is the command a user runs, `bizops-sage50 convert FILE --json --config CFG --outbox DIR "
        "--initial-load`, in a fresh process, with a fresh outbox and a fresh copy of a ledger seeded (untimed) with "
        f"Sage's CHART.CSV and the BizOps customer and product masters the documents reference ({masters_note}); "
        'references are checked as in production (`unknown_references = "error"`). Customer lists start from an empty ledger.'
    )
    L.append(
        "- **Seconds** is wall time from spawning to exit (Python start-up and imports included); **CPU s** is user+system "
        "time of that process; **Peak RSS** is its `ru_maxrss` (from `os.wait4`). Each run's JSON result is checked: "
        "**Status** must be `converted` with 0 errors. Each command runs under a small launcher that times it and "
        "reads its rusage, so its peak RSS is its own (a child spawned by the benchmark itself would start with the "
        "benchmark's peak). The converter is byte-compiled first (`compileall`), as "
        "installing a wheel does, so no run compiles its modules from source. A file is converted (and its "
        "floor measured) "
        + ", ".join(f"{runs} times up to {limit:,} rows" for limit, runs in RUNS_UP_TO)
        + " and once beyond, the runs in turn: the row shows the run of median wall time, with the highest peak "
        "RSS of the runs (a run of a few seconds moves by a tenth or more with the machine's other work); every "
        "run must succeed."
    )
    L.append(
        "- **Floor**: a fresh `python` doing `pd.read_csv(FILE, dtype=str, keep_default_na=False, encoding=…)` + "
        "`to_csv` (in the target's encoding), measured the same way in the same run. **Ratio** = conversion seconds / floor seconds."
    )
    L.append(
        "- Data: deterministic (seed "
        f"{SEED}), generated with numpy; transaction files have 1–20 lines per document (truncated geometric, mean ≈ 5.2), "
        "sales tax (MA/NY customers) and freight (20 %) on their own Sage distribution rows, 3 % credit memos (15 % of "
        "their lines Damaged), and in BizOps files 1 % drafts and 2 % already-synced invoices (reported and skipped, as "
        "designed). Rows = data rows of the input file."
    )
    L.append("")
    # ---------------------------------------------------------------- targets summary
    L.append("## Targets")
    L.append("")
    L.append("| Target | Result | Detail |")
    L.append("|---|---|---|")
    L.extend(target_lines(rows, startup))
    for w in watch:
        if "aged" in w.mode or "older" in w.mode:
            continue
        detail = (
            f"median {statistics.median(w.latencies):.2f} s, max {max(w.latencies):.2f} s over {len(w.latencies)} drops"
            if w.latencies
            else w.note
        )
        L.append(f"| Watcher ({w.mode}) within {w.limit:g} s | {verdict(w.ok)} | {detail} |")
    failed = [r for r in rows if r.targets.get("converted") is False]
    L.append(
        f"| Every run converted, 0 errors | {verdict(not failed)} | "
        + (
            "; ".join(f"{r.case.key} {size_label(r.size)}: {r.status}, {r.errors} errors" for r in failed)
            or "all runs"
        )
        + " |"
    )
    L.append("")
    # ---------------------------------------------------------------- tables per case
    L.append("## Conversions")
    for case in CASES:
        case_rows = [r for r in rows if r.case is case]
        if not case_rows:
            continue
        L.append("")
        L.append(f"### {case.title}")
        L.append("")
        L.append(
            "| Size | Rows | Seconds | CPU s | Rows/s | Peak RSS MB | Floor s | Floor RSS MB | Ratio | Status | Targets | Code |"
        )
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|")
        for r in case_rows:
            c, f = r.conv, r.floor
            status = (
                "timeout"
                if c and c.timed_out
                else f"{r.status}, {r.errors} err, {r.warnings} warn, {r.records_out:,} out"
                + (f", {r.skipped:,} skipped" if r.skipped else "")
            )
            targets = ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in r.targets.items()) or "–"
            L.append(
                f"| {size_label(r.size)} | {fmt_int(r.rows)} | {fmt_s(c.seconds if c else None)} | "
                f"{fmt_s(c.cpu if c else None)} | {fmt_int(r.rows / c.seconds) if c and c.seconds else '–'} | "
                f"{fmt_int(c.rss_mb) if c else '–'} | {fmt_s(f.seconds if f else None)} | "
                f"{fmt_int(f.rss_mb) if f else '–'} | {f'{r.ratio:.1f}×' if r.ratio else '–'} | {status} | {targets} | {r.tree} |"
            )
        notes = [f"{size_label(r.size)}: {r.note}" for r in case_rows if r.note]
        for n in notes:
            L.append(f"\n- {n}")
    L.append("")
    L.extend(startup_lines(startup))
    # ---------------------------------------------------------------- watcher
    L.append("## Watcher latency")
    L.append("")
    L.append(
        "`bizops-sage50 watch` started as a subprocess with a temporary inbox, outbox and config; a 20-row BizOps "
        "customers.csv is written under a dot-name in the inbox and dropped with an atomic `rename`; latency = rename "
        "→ its batch folder appears in `outbox/to-sage50/`. The watcher takes a file only when it is ≥ 2 s old (mtime) "
        "and unchanged over two checks 1 s apart (README), so a freshly written file cannot be taken in under ~2 s; a "
        "copied export whose mtime is already older shows the event path alone."
    )
    L.append("")
    L.append("| Mode | Drops | Median s | Max s | Limit s | Result | Latencies s |")
    L.append("|---|--:|--:|--:|--:|---|---|")
    for w in watch:
        lat = w.latencies
        L.append(
            f"| {w.mode} | {len(lat)} | {statistics.median(lat) if lat else float('nan'):.2f} | "
            f"{max(lat) if lat else float('nan'):.2f} | {w.limit:g} | {verdict(w.ok) if 'older' not in w.mode else '(info)'} | "
            f"{', '.join(f'{x:.2f}' for x in lat)}{' — ' + w.note if w.note else ''} |"
        )
    L.append("")
    # ---------------------------------------------------------------- profiles
    if profiles:
        L.append("## Profiles")
        L.append("")
        L.append(
            "Each conversion run once more under `python -m cProfile` (same command, fresh ledger and outbox). "
            "Times are seconds under the profiler (slower than the timed run). For each: the top 15 by cumulative "
            "time, the converter's own functions by cumulative time, all functions below the entry chain by "
            "cumulative time (the useful view: where the time goes), and the top 10 by own time (tottime)."
        )
        for case in CASES:
            if case.key not in profiles:
                continue
            size, tables = profiles[case.key]
            if not tables:
                continue
            L.append("")
            L.append(
                f"### {case.title}, {size_label(size)} rows (total {tables.get('total', '?')} s under the profiler; code {tables.get('tree', '?')})"
            )
            for key, title in (
                ("cumulative", "Top 15 by cumulative time"),
                ("converter", "converter/ functions by cumulative time"),
                ("inner", "All functions by cumulative time, below the entry chain (< 90 % of the total)"),
                ("tottime", "Top 10 by own time"),
            ):
                L.append("")
                L.append(f"{title}:")
                L.append("")
                L.append("```")
                L.append(tables.get(key, ""))
                L.append("```")
        L.append("")
    path.write_text("\n".join(L) + "\n", encoding="utf-8")


def target_lines(rows: list[Row], startup: list[Startup]) -> list[str]:
    """The targets of issue 14, one table row each (the watcher's and "converted" follow)."""
    L = []
    ratio_rows = [r for r in rows if "≤2× floor" in r.targets]
    if ratio_rows:
        bad = [r for r in ratio_rows if not r.targets["≤2× floor"]]
        worst = max(ratio_rows, key=lambda r: r.ratio)
        L.append(
            f"| Every conversion within {RATIO_TARGET:g}× the floor (≥ {size_label(RATIO_MIN_SIZE)} lines) | "
            f"{verdict(not bad)} | {len(ratio_rows) - len(bad)}/{len(ratio_rows)} within; "
            + "; ".join(f"{r.case.key} {size_label(r.size)}: {r.ratio:.1f}×" for r in ratio_rows)
            + f"; worst {worst.ratio:.1f}× ({worst.case.key} {size_label(worst.size)}) |"
        )
    else:
        L.append(f"| Every conversion within {RATIO_TARGET:g}× the floor | n/a | no size ≥ 100k run |")
    for key, title, unit in (
        ("RSS<1GB", f"Peak RSS < {RSS_TARGET_MB / 1024:g} GB at 1M lines", "rss"),
        (CUSTOMERS_KEY, f"100k customers in ≤ {CUSTOMERS_100K_TARGET_S:g} s, each direction", "s"),
        (SMALL_KEY, f"A {SMALL_FILE_ROWS:,}-row file end to end in < {SMALL_FILE_TARGET_S:g} s", "s"),
    ):
        hit = [r for r in rows if key in r.targets]
        if not hit:
            L.append(f"| {title} | n/a | size not run |")
            continue
        detail = "; ".join(
            f"{r.case.key}: " + (f"{r.conv.rss_mb:,.0f} MB" if unit == "rss" else f"{r.conv.seconds:.2f} s")
            for r in hit
        )
        L.append(f"| {title} | {verdict(all(r.targets[key] for r in hit))} | {detail} |")
    if startup:
        pandas = next(s for s in startup if s.label == PANDAS_LABEL)
        cli = [s for s in startup if s is not pandas]
        ok = all(s.median < pandas.median and not s.failed for s in cli)
        L.append(
            f"| `--help`, `status`, `batches` faster than {PANDAS_LABEL} | {verdict(ok)} | "
            + "; ".join(f"{s.label} {s.median:.2f} s" for s in cli)
            + f" vs {pandas.median:.2f} s (medians) |"
        )
    return L


def startup_lines(startup: list[Startup]) -> list[str]:
    if not startup:
        return []
    L = ["## Start-up", ""]
    L.append(
        f"Each command run {len(startup[0].runs)} times, the commands in turn, in fresh processes; `status` and "
        "`batches` on a site whose ledger and outbox hold one converted batch."
    )
    L.append("")
    L.append("| Command | Median s | Min s | Max s | Exit codes |")
    L.append("|---|--:|--:|--:|---|")
    for s in startup:
        secs = [m.seconds for m in s.runs]
        codes = sorted({m.returncode for m in s.runs})
        L.append(
            f"| {s.label} | {s.median:.2f} | {min(secs):.2f} | {max(secs):.2f} | "
            f"{', '.join(map(str, codes))} |"
        )
    L.append("")
    return L
