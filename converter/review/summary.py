"""What a batch holds, for the person who loads it: the summary behind ``review.xlsx`` and
``bizops-sage50 review``.

The summary is built from the batch's ``manifest.json`` alone, so the workbook's Summary sheet
and the terminal show the same thing, and a batch can be reviewed on any machine that sees the
outbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from ..core.kinds import DESCRIPTIONS
from ..core.settings import Settings
from ..io.batch_names import outbox_folders
from ..io.layouts import load_layout

SYSTEMS = {"sage50": "Sage 50", "bizops": "BizOps"}
PROGRAM_AREAS = {
    "customers": "Accounts Receivable",
    "orders": "Accounts Receivable",
    "invoices": "Accounts Receivable",
    "payments": "Accounts Receivable",
    "vendors": "Accounts Payable",
    "purchase_orders": "Accounts Payable",
    "po_receipts": "Accounts Payable",
    "products": "Inventory",
}
IMPORT_ORDER = (
    "Import in Sage's order: vendors, customers, inventory items; then purchase orders, purchases "
    "(receipts), sales orders, sales (invoices and credit memos), cash receipts."
)
WORKBOOK = "review.xlsx"
CREDIT_LIMITS_FILE = "credit_limits.csv"
HELD_FILE = "held-credit-limits.csv"


def import_steps(manifest: dict[str, Any]) -> list[str]:
    """The exact steps to load this batch's import file into the target system."""
    target = manifest["target"]
    fields = target.get("fields") or []
    file_name = target["file"]
    outputs = [Path(p).name for p in manifest.get("outputs", [])]
    if target["system"] == "sage50":
        title = load_layout("sage50", target["entity"]).title
        area = PROGRAM_AREAS.get(target["entity"], "")
        return [
            "Back up the Sage 50 company first: an import cannot be undone.",
            f"File ▸ Select Import/Export ▸ {area} ▸ {title}, then press Import.",
            f"Fields tab: tick Show for exactly the {len(fields)} fields listed under 'Fields to Show', in that "
            "order (use Move to reorder), and untick every other field: Sage imports by position.",
            f"Options tab: set the Import/Export File to {file_name} in this batch's folder and tick "
            "'First Row Contains Headings'.",
            "Press OK. Sage names the row of any record it refuses: find that row on the records sheet.",
            IMPORT_ORDER,
        ]
    steps = []
    if file_name in outputs and file_name != CREDIT_LIMITS_FILE:
        title = load_layout("bizops", target["entity"]).title
        steps.append(
            f"In BizOps, import {file_name} as {title}: UTF-8, dates YYYY-MM-DD, the first row holds the "
            "column names."
        )
    if CREDIT_LIMITS_FILE in outputs:
        steps.append(
            "Import credit_limits.csv into BizOps' customer credit limits: Sage 50 owns credit limits, so "
            "these replace the limits in BizOps."
        )
    return steps or ["Nothing to import: this batch only records what was checked."]


def batch_summary(manifest: dict[str, Any], *, state: str | None = None) -> dict[str, Any]:
    """The review summary of a batch: sections of (label, value) lines, the steps, the fields."""
    source, target, counts = manifest["source"], manifest["target"], manifest.get("counts", {})
    codes = manifest.get("issue_codes", {})
    review = manifest.get("review") or {}
    direction = f"{SYSTEMS.get(source['system'], source['system'])} → {SYSTEMS.get(target['system'], target['system'])}"
    template = manifest.get("template") or {}
    batch_lines = _batch_lines(manifest, source, target, template, direction, state)
    transaction = manifest.get("control_totals") is not None
    count_lines = _count_lines(manifest, counts, codes, transaction)
    sections = [
        {"title": "Source and target", "lines": batch_lines},
        {"title": "Counts", "lines": count_lines},
    ]
    if transaction:
        sections.append(_control_totals_section(manifest))
    attention = _attention(counts, manifest.get("credit_limits") or {})
    if attention:
        sections.insert(0, {"title": "Needs attention", "lines": attention, "attention": True})
    if manifest.get("credit_limits"):
        sections.append(_credit_limits_section(manifest["credit_limits"]))
    if review:
        sections.append(_review_section(review, target))
    steps = import_steps(manifest)
    sections.append({"title": "Import steps", "lines": [(f"Step {i}", s) for i, s in enumerate(steps, 1)]})
    fields = list(target.get("fields") or [])
    if target.get("system") == "sage50":
        sections.append(
            {"title": "Fields to Show, in order", "lines": [(str(i), f) for i, f in enumerate(fields, 1)]}
        )
    return {
        "batch": manifest.get("batch"),
        "state": state,
        "sections": [
            {"title": s["title"], "lines": [list(line) for line in s["lines"]], **_flag(s)} for s in sections
        ],
        "import_steps": steps,
        "fields": fields,
    }


def _batch_lines(
    manifest: dict[str, Any], source: dict, target: dict, template: dict, direction: str, state: str | None
) -> list[tuple[str, Any]]:
    """The Source and target section: the batch, its source file and its import file."""
    batch_lines: list[tuple[str, Any]] = [
        ("Batch", manifest.get("batch", "")),
        ("Created", manifest.get("created_at", "")),
        ("Direction", direction),
        ("Entity", manifest.get("entity", "")),
        ("Source file", source.get("file", "")),
        ("Source SHA-256", source.get("sha256") or ""),
        ("Source layout", f"{source.get('layout', '')} ({source.get('encoding', '')})"),
        ("Template", f"{template.get('id', '')} {template.get('version', '')}".strip()),
        ("Import file", target.get("file", "")),
    ]
    if state:
        batch_lines.append(("State", state))
    return batch_lines


def _count_lines(
    manifest: dict[str, Any], counts: dict, codes: dict, transaction: bool
) -> list[tuple[str, Any]]:
    """The Counts section: rows read, out, rejected and skipped, creates and updates, issues."""
    skipped = int(counts.get("skipped", 0))
    duplicates = (
        int(counts.get("unchanged", 0)) if not transaction else int(codes.get("duplicate-document", 0))
    )
    unit = "documents" if transaction else "records"
    count_lines: list[tuple[str, Any]] = [
        ("Rows read", int(counts.get("rows_in", 0))),
        ("Records out (rows in the import file)", int(counts.get("records_out", 0))),
        ("Rows rejected (see the Rejected sheet)", int(counts.get("rejected", 0))),
        (f"Skipped as duplicates ({unit} sent before, unchanged)", duplicates),
        ("Rows skipped in all (duplicates, drafts, already synced, other kinds)", skipped),
    ]
    for code, rows in (manifest.get("skipped_kinds") or {}).items():
        what = DESCRIPTIONS.get(code, code)
        count_lines.append((f"Rows skipped as {what} (not exchanged)", int(rows)))
    if transaction:
        documents = (next(iter(manifest["control_totals"].values())) or {}).get("out", {}).get("documents", 0)
        count_lines += [("Creates (documents)", int(documents)), ("Updates", 0)]
    else:
        count_lines += [
            ("Creates (new records)", int(counts.get("created", 0))),
            ("Updates (changed records; see the Changes sheet)", int(counts.get("updated", 0))),
        ]
    count_lines += [
        ("Errors", int(counts.get("error", 0))),
        ("Warnings", int(counts.get("warning", 0))),
        ("Notes", int(counts.get("info", 0))),
    ]
    return count_lines


def _control_totals_section(manifest: dict[str, Any]) -> dict[str, Any]:
    """Control totals in and out, each pair marked as agreeing or not."""
    totals = next(iter(manifest["control_totals"].values()))
    names = ("documents", "lines", "quantity", "net", "tax", "freight", "total")
    lines = []
    for name in names:
        a, b = totals.get("in", {}).get(name, 0), totals.get("out", {}).get(name, 0)
        agree = "agree" if a == b else "DISAGREE"
        lines.append((f"{name.capitalize()}: in / out", f"{_num(a)} / {_num(b)} ({agree})"))
    return {"title": "Control totals (source in / import file out)", "lines": lines}


def _review_section(review: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """How much of the batch the workbook shows, and whether it awaits approval."""
    shown, total = review.get("records_shown", 0), review.get("records", 0)
    text = (
        f"All {total:,} records are on the records sheet."
        if shown >= total
        else f"The records sheet shows the first {shown:,} of {total:,} records (`review.max_rows`); "
        "the import file holds them all."
    )
    if target.get("entity") == "credit_limits":
        text = "Each customer's credit limit, before and now, is on the Credit limits sheet."
    lines = [("Records shown", text)]
    if review.get("require_approval"):
        lines.append(("Approval", "Required: `bizops-sage50 approve BATCH` moves it to outbox/ready/."))
    return {"title": "Review", "lines": lines}


def _flag(section: dict[str, Any]) -> dict[str, bool]:
    return {"attention": True} if section.get("attention") else {}


def _attention(counts: dict[str, Any], limits: dict[str, Any]) -> list[tuple[str, Any]]:
    """What the reader must look at before loading: rows left out, credit-limit changes held."""
    lines: list[tuple[str, Any]] = []
    rejected, held = int(counts.get("rejected", 0)), int(limits.get("held", 0))
    if rejected:
        lines.append(
            (
                "Rows rejected",
                f"{rejected:,} row(s) are not in the import file: see the Rejected sheet (and rejects.csv); "
                "fix them and drop rejects.csv back in.",
            )
        )
    if held:
        lines.append(
            (
                "Credit-limit changes held",
                f"{held:,} change(s) above the threshold were not sent ({HELD_FILE}); see the Credit limits "
                "sheet, then convert the list again with --release-held once checked.",
            )
        )
    return lines


def _credit_limits_section(limits: dict[str, Any]) -> dict[str, Any]:
    sent, held = int(limits.get("sent", 0)), int(limits.get("held", 0))
    lines: list[tuple[str, Any]] = [(k.replace("_", " ").capitalize(), v) for k, v in limits.items()]
    lines.append(
        ("File for BizOps", f"{CREDIT_LIMITS_FILE} ({sent:,} customers)" if sent else "none: nothing to send")
    )
    if held:
        lines.append(
            ("Held changes", f"{HELD_FILE}: {held:,} customers, not sent (see the Credit limits sheet)")
        )
    return {"title": "Credit limits (Sage 50 → BizOps)", "lines": lines}


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.5f}".rstrip("0")
    return text if len(text.split(".")[1]) >= 2 else f"{value:,.2f}"


def outbox_for(settings: Settings, outbox: Path | None) -> Path:
    return (
        outbox if outbox is not None else settings.resolve_path(str(settings.get("paths.outbox", "outbox")))
    )


def find_batch(name: str, *, outbox: Path, ledger_path: str | None = None) -> Path:
    """A batch folder by path, by the ledger's record of where it is, or by name in the outbox."""
    given = Path(name)
    if (given / "manifest.json").is_file():
        return given
    if ledger_path and (Path(ledger_path) / "manifest.json").is_file():
        return Path(ledger_path)
    found = [f for f in outbox_folders(outbox, name) if (f / "manifest.json").is_file()]
    if len(found) == 1:
        return found[0]
    if found:  # an outbox from before names were unique across it
        raise UsageError(
            f"{len(found)} batches are named {name!r} in {outbox}: "
            + ", ".join(str(f) for f in found)
            + ". Give the folder's path of the one you mean."
        )
    raise UsageError(
        f"No batch {name!r} in {outbox} (looked in to-*/, pending/, ready/ and rejected/). "
        "`bizops-sage50 batches` lists them; or give the batch folder's path."
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{folder / 'manifest.json'} cannot be read ({exc}); is this a batch folder?"
        ) from exc
