"""Measurement: each conversion (and the floor) in a fresh process with its rusage, the JSON
result checked, profiles, and the watcher's latency."""

from __future__ import annotations

import cProfile  # noqa: F401  (the profile runs use `python -m cProfile`; imported to fail early if absent)
import io
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .config import (
    CLI,
    CONFIG,
    SAMPLES,
    STARTUP_RUNS,
    WATCH_NATIVE_TARGET_S,
    WATCH_POLL_EXTRA_S,
    Case,
)
from .masters import Masters, bizops_customers
from .vocab import rng_for


# ============================================================================ measurement
@dataclass
class Measure:
    seconds: float
    cpu: float
    rss_mb: float
    returncode: int
    stdout: Path
    stderr: Path
    timed_out: bool = False


# The measured command runs as a child of this small launcher, not of the benchmark: a child
# spawned (vfork) from the benchmark, which holds generated data, starts with the benchmark's
# peak RSS in its own `ru_maxrss`; a child of a 10 MB launcher reports its own peak only.
LAUNCHER = """
import json, os, subprocess, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
proc = subprocess.Popen(cmd)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - t0
with open(report, "w") as f:
    json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss,
               "code": os.waitstatus_to_exitcode(status)}, f)
"""


def run_measured(cmd: list[str], *, cwd: Path, log_stem: Path, timeout: float) -> Measure:
    """Run ``cmd`` in a fresh process; wall time, CPU time and peak RSS of exactly that process."""
    out, err = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    report = log_stem.with_suffix(".rusage.json")
    report.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200")
    launch = [sys.executable, "-c", LAUNCHER, str(report), *cmd]
    with out.open("wb") as fo, err.open("wb") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            launch, cwd=cwd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the command
            proc.wait()
            timed_out = True
        seconds = time.perf_counter() - t0
    if timed_out or not report.exists():
        return Measure(seconds, 0.0, 0.0, proc.returncode or -1, out, err, timed_out=timed_out)
    found = json.loads(report.read_text(encoding="utf-8"))
    return Measure(
        seconds=found["seconds"],
        cpu=found["cpu"],
        rss_mb=found["rss_kb"] / 1024,  # Linux: KiB
        returncode=found["code"],
        stdout=out,
        stderr=err,
        timed_out=False,
    )


@dataclass
class Row:
    case: Case
    size: int
    rows: int = 0
    conv: Measure | None = None
    floor: Measure | None = None
    status: str = ""
    errors: int = 0
    warnings: int = 0
    records_out: int = 0
    skipped: int = 0
    note: str = ""
    targets: dict[str, bool] = field(default_factory=dict)
    tree: str = ""  # fingerprint of converter/ (templates included) when the conversion ran

    @property
    def ratio(self) -> float | None:
        if self.conv and self.floor and self.floor.seconds > 0:
            return self.conv.seconds / self.floor.seconds
        return None


def convert_cmd(path: Path, run_dir: Path) -> list[str]:
    return [
        str(CLI),
        "convert",
        str(path),
        "--json",
        "--config",
        str(run_dir / "bizops-sage50.toml"),
        "--outbox",
        str(run_dir / "outbox"),
        "--initial-load",
    ]


def fresh_run_dir(base: Path, name: str, seed: Path | None) -> Path:
    """A folder with the benchmark config, an empty outbox and (optionally) a copy of a seeded ledger."""
    run_dir = base / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
    if seed is not None and (seed / ".bizops-sage50").exists():
        shutil.copytree(seed / ".bizops-sage50", run_dir / ".bizops-sage50")
    return run_dir


def parse_result(stdout: Path) -> dict:
    text = stdout.read_text(encoding="utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {"status": "no-json", "issues": [], "_raw": text[:500]}
    return data[0] if isinstance(data, list) and data else {"status": "no-json", "issues": []}


def seed_ledger(base: Path, masters: Masters) -> Path:
    """Convert the chart of accounts and the masters the transactions reference (not timed)."""
    seed = fresh_run_dir(base, "seed", None)
    customers, products = seed / "customers.csv", seed / "products.csv"
    masters.customers.to_csv(customers, index=False, encoding="utf-8")
    masters.products.to_csv(products, index=False, encoding="utf-8")
    chart = seed / "CHART.CSV"
    shutil.copy(SAMPLES / "sage50" / "CHART.CSV", chart)
    for f in (chart, customers, products):
        m = run_measured(convert_cmd(f, seed), cwd=seed, log_stem=seed / f"seed-{f.stem}", timeout=3600)
        res = parse_result(m.stdout)
        errors = [i for i in res.get("issues", []) if i.get("severity") == "error"]
        if res.get("status") not in ("converted", "recorded") or errors:
            raise SystemExit(
                f"seeding the ledger with {f.name} failed: {res.get('status')} "
                f"{errors[:3] or m.stderr.read_text()[-2000:]}"
            )
    shutil.rmtree(seed / "outbox", ignore_errors=True)
    return seed


def check_result(row: Row, res: dict) -> None:
    issues = res.get("issues", [])
    row.status = res.get("status", "?")
    row.errors = sum(1 for i in issues if i.get("severity") == "error")
    row.warnings = sum(1 for i in issues if i.get("severity") == "warning")
    row.records_out = int(res.get("records_out") or 0)
    row.skipped = int(res.get("skipped") or 0)
    if row.errors:
        first = next(i for i in issues if i.get("severity") == "error")
        row.note = f"first error: row {first.get('row')} {first.get('column')} [{first.get('code')}] {first.get('message', '')[:160]}"


def profile(case: Case, path: Path, run_dir: Path, out: Path, timeout: float) -> Path:
    prof = out.with_suffix(".prof")
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), *convert_cmd(path, run_dir)]
    run_measured(cmd, cwd=run_dir, log_stem=out, timeout=timeout)
    return prof


def profile_tables(prof: Path) -> dict[str, str]:
    if not prof.exists():
        return {}
    tables = {}
    for key, sort, n in (("cumulative", "cumulative", 15), ("tottime", "tottime", 10)):
        buf = io.StringIO()
        stats = pstats.Stats(str(prof), stream=buf)
        stats.strip_dirs().sort_stats(sort).print_stats(n)
        text = buf.getvalue()
        start = text.find("   ncalls")
        tables[key] = text[start:].rstrip() if start >= 0 else text.rstrip()
    # Converter functions only, by cumulative time: where in our own code the time goes.
    stats = pstats.Stats(str(prof))
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "/converter/" in filename:
            rows.append((ct, tt, nc, f"{Path(filename).name}:{line}({func})"))
    rows.sort(reverse=True)
    lines = [f"{'cumtime':>9} {'tottime':>9} {'ncalls':>9}  function"]
    lines += [f"{ct:9.2f} {tt:9.2f} {nc:9d}  {name}" for ct, tt, nc, name in rows[:15]]
    tables["converter"] = "\n".join(lines)
    # All functions by cumulative time, below the entry chain (CLI, typer/click, convert_file): where it goes.
    total_ct = max((v[3] for v in stats.stats.values()), default=0.0)  # type: ignore[attr-defined]
    inner = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if ct < 0.9 * total_ct and func != "<module>":
            where = (
                func
                if filename == "~"
                else f"{Path(filename).parent.name}/{Path(filename).name}:{line}({func})"
            )
            inner.append((ct, tt, nc, where))
    inner.sort(reverse=True)
    lines = [f"{'cumtime':>9} {'tottime':>9} {'ncalls':>9}  function"]
    lines += [f"{ct:9.2f} {tt:9.2f} {nc:9d}  {name}" for ct, tt, nc, name in inner[:15]]
    tables["inner"] = "\n".join(lines)
    total = max((ct for (_f, _l, fn), (_a, _b, _c, ct, _d) in stats.stats.items()), default=0.0)  # type: ignore[attr-defined]
    tables["total"] = f"{total:.2f}"
    return tables


# ============================================================================ start-up
@dataclass
class Startup:
    label: str
    runs: list[Measure]

    @property
    def median(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def failed(self) -> bool:
        return any(m.returncode != 0 for m in self.runs)


PANDAS_LABEL = '`python -c "import pandas"`'


def measure_startup(base: Path, runs: int = STARTUP_RUNS) -> list[Startup]:
    """`--help`, `status` and `batches` (on a site with a ledger and a batch) against `import pandas`,
    each run ``runs`` times in turn, in fresh processes; the median is what counts."""
    site = fresh_run_dir(base, "startup", None)
    sample = SAMPLES / "bizops" / "customers.csv"
    run_measured(convert_cmd(sample, site), cwd=site, log_stem=site / "seed", timeout=300)
    cfg = ["--config", str(site / "bizops-sage50.toml")]
    commands = {
        "`bizops-sage50 --help`": [str(CLI), "--help"],
        "`bizops-sage50 status`": [str(CLI), "status", *cfg],
        "`bizops-sage50 batches`": [str(CLI), "batches", *cfg],
        PANDAS_LABEL: [sys.executable, "-c", "import pandas"],
    }
    found = {label: Startup(label, []) for label in commands}
    for i in range(runs):  # interleaved, so a burst of other load hits every command alike
        for label, cmd in commands.items():
            m = run_measured(cmd, cwd=site, log_stem=site / f"startup-{i}", timeout=120)
            found[label].runs.append(m)
    return list(found.values())


# ============================================================================ watcher latency
@dataclass
class WatchResult:
    mode: str
    latencies: list[float]
    limit: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.latencies) and max(self.latencies) <= self.limit


def small_customers_file(path: Path, tag: str, n: int = 20) -> str:
    rng = rng_for(999, zlib.crc32(tag.encode()))
    frame = bizops_customers(n, rng)
    frame["CustomerID"] = [f"W{tag}-{i:03d}" for i in range(n)]
    return frame.to_csv(index=False)


def measure_watcher(
    base: Path, *, poll: float | None, drops: int, aged: bool, timeout: float = 60.0
) -> WatchResult:
    label = f"--poll {poll:g}" if poll else "native events"
    label += ", file already older than 2 s (copied export)" if aged else ", freshly written file"
    limit = (poll + WATCH_POLL_EXTRA_S) if poll else WATCH_NATIVE_TARGET_S
    work = base / f"watch-{'poll' if poll else 'native'}-{'aged' if aged else 'fresh'}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
    inbox, outbox = work / "inbox", work / "outbox"
    cmd = [
        str(CLI),
        "watch",
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--config",
        str(work / "bizops-sage50.toml"),
        "--log-file",
        str(work / "watch.log"),
    ]
    if poll:
        cmd += ["--poll", f"{poll:g}"]
    proc = subprocess.Popen(
        cmd,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=(work / "watch.err").open("wb"),
        stdin=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    note = ""
    rng = rng_for(4242, int(poll or 0), int(aged))
    try:
        t_start = time.monotonic()
        while not (outbox / ".heartbeat").exists():
            if proc.poll() is not None or time.monotonic() - t_start > 30:
                raise RuntimeError(f"watcher did not start: {(work / 'watch.err').read_text()[-1000:]}")
            time.sleep(0.05)
        time.sleep(0.5)
        target_dir = outbox / "to-sage50"
        for i in range(drops):
            if poll:  # land at a random phase of the poll timer
                time.sleep(float(rng.uniform(0, poll)))
            before = {p.name for p in target_dir.iterdir()} if target_dir.exists() else set()
            tmp = inbox / f".drop-{i}.tmp"
            tmp.write_text(small_customers_file(tmp, f"{int(bool(poll))}{int(aged)}{i}"), encoding="utf-8")
            if aged:
                old = time.time() - 30
                os.utime(tmp, (old, old))
            final = inbox / f"customers-{i}.csv"
            t0 = time.monotonic()
            os.rename(tmp, final)  # atomic drop
            got = None
            while time.monotonic() - t0 < timeout:
                if target_dir.exists():
                    new = [
                        p for p in target_dir.iterdir() if p.name not in before and not p.name.startswith(".")
                    ]
                    if new:
                        got = time.monotonic() - t0
                        break
                time.sleep(0.01)
            if got is None:
                note = f"drop {i}: no batch folder within {timeout:.0f} s"
                break
            latencies.append(got)
            # let the watcher archive the file before the next drop
            t1 = time.monotonic()
            while final.exists() or any((inbox / "processing").iterdir()):
                if time.monotonic() - t1 > 10:
                    break
                time.sleep(0.02)
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return WatchResult(label, latencies, limit, note)
