"""A wheel that works: built from this source, installed into a fresh virtual environment outside
the repository, it converts every sample.

No network: the wheel is built with the project's own setuptools (``--no-build-isolation``) and
installed with ``--no-deps --no-index``; the fresh environment borrows the dependencies (pandas,
openpyxl, …) of the project's ``.venv`` through a ``.pth`` file, never its ``converter``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The samples in Sage's import order (as `make demo`): masters, then transactions both ways.
MASTERS = [
    "sage50/CHART.CSV",
    "bizops/vendors.csv",
    "bizops/customers.csv",
    "bizops/products.csv",
    "sage50/VENDOR.CSV",
    "sage50/CUSTOMER.CSV",
    "sage50/ITEM.CSV",
]
TRANSACTIONS = [
    "bizops/purchase_orders.csv",
    "bizops/po_receipts.csv",
    "bizops/orders.csv",
    "bizops/invoices.csv",
    "bizops/payments.csv",
    "sage50/PO.CSV",
    "sage50/PURCHASE.CSV",
    "sage50/SO.CSV",
    "sage50/SALES.CSV",
    "sage50/RECEIPTS.CSV",
]


def _run(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def _wheel(tmp: Path) -> Path:
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "converter", source / "converter", ignore=shutil.ignore_patterns("__pycache__"))
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp / "dist"),
        ]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("bizops_sage50-*.whl")
    return wheel


def _venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "project-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ]
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


def test_a_wheel_installed_in_a_fresh_venv_converts_every_sample(tmp_path):
    wheel = _wheel(tmp_path)
    venv = _venv(tmp_path, wheel)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    site = tmp_path / "site"  # a site away from the repository: its own config, ledger and outbox
    shutil.copytree(ROOT / "samples", site / "samples")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BIZOPS_SAGE50_TEMPLATES")}

    where = _run(
        [str(bin_dir / "python"), "-c", "import converter.io.layouts as m; print(m.templates_root())"],
        cwd=site,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    check = _run([str(bin_dir / "bizops-sage50"), "templates", "check"], cwd=site, env=env)
    assert check.returncode == 0 and "template files are valid" in check.stdout, check.stdout + check.stderr

    common = ["--config", "samples/bizops-sage50.toml", "--outbox", "out", "--json"]
    results = []
    for files, extra in ((MASTERS, ["--initial-load"]), (TRANSACTIONS, ["--initial-load"])):
        done = _run(
            [str(bin_dir / "bizops-sage50"), "convert", *(f"samples/{f}" for f in files), *common, *extra],
            cwd=site,
            env=env,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        results += json.loads(done.stdout)
    assert [Path(r["input"]).name for r in results] == [Path(f).name for f in MASTERS + TRANSACTIONS]
    assert all(r["status"] in ("converted", "recorded") for r in results), [
        (r["input"], r["status"]) for r in results
    ]
    written = [Path(o) for r in results for o in r["outputs"]]
    assert written and all((site / o if not o.is_absolute() else o).is_file() for o in written)
