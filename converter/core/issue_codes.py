"""Every issue code the converter can emit: its severities, what it means and what to do.

This is the one registry. An ``Issue`` with a code (or a severity) not listed here is a bug, and
the tests fail on it; the README's list of codes is generated from this module
(``python -m converter.core.issue_codes`` rewrites it; a test fails when the README differs).
Codes are stable kebab-case strings that scripts may rely on; messages are for people.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Code:
    code: str
    severities: tuple[str, ...]  # the first is the usual one
    meaning: str
    action: str


_E, _W, _I = ("error",), ("warning",), ("info",)
_EW = ("error", "warning")
_WE = ("warning", "error")

# Grouped as the README shows them: reading a file, its values, documents, references and the
# ledger, and the run itself.
_CODES: tuple[tuple[str, tuple[Code, ...]], ...] = (
    (
        "Reading and recognising a file",
        (
            Code(
                "empty-file",
                _E,
                "The file is empty (no heading row, no data).",
                "Export it again from the system it came from.",
            ),
            Code(
                "no-rows",
                _I,
                "A heading row and no data rows.",
                "Nothing to do, unless rows were expected: export again.",
            ),
            Code(
                "ragged-row",
                _E,
                "A row has more or fewer cells than the heading row.",
                "Fix the row's delimiters or quotes, or export again.",
            ),
            Code(
                "headerless",
                _W,
                "No heading row: the layout was matched by column count.",
                'Tick "Include Headings" on export where you can.',
            ),
            Code(
                "unknown-layout",
                _E,
                "The heading row (or column count) matches no known layout, or more than one.",
                "Pass --entity, or check the file is an export of a supported list or journal.",
            ),
            Code(
                "unknown-column",
                _I,
                "Columns not in the layout are left out of the output.",
                "Add them as column aliases in a site template if they should be mapped.",
            ),
            Code(
                "custom-fields",
                _I,
                "Sage custom-field columns are kept under the company's own labels.",
                "Map them by label in a site template to carry them over.",
            ),
            Code(
                "unreadable-file",
                _E,
                "The file cannot be read (encoding, a broken workbook, not a CSV or XLSX).",
                "Pass --encoding, or save the file again as CSV or XLSX.",
            ),
            Code(
                "too-large",
                _E,
                "The file passes a [limits] setting (size, rows, columns, cell length, unpacked XLSX).",
                "Split the file, or raise the [limits] key the message names.",
            ),
            Code(
                "io-error",
                _E,
                "The file or folder could not be read or written.",
                "Check the path and the file and folder permissions.",
            ),
            Code(
                "symlink",
                _E,
                "The watcher found a symbolic link in the inbox and did not follow it.",
                "Copy the file itself into the inbox.",
            ),
            Code(
                "not-exchanged",
                _I,
                "A Sage file that is recognised but not exchanged with BizOps (a payments journal, …).",
                "Nothing to do; the file is filed under processed/.",
            ),
            Code(
                "other-kind-skipped",
                _I,
                "Documents of another kind (vendor bills, quotes) were skipped and counted.",
                "Nothing to do; enter them in BizOps by hand if it needs them.",
            ),
        ),
    ),
    (
        "Values",
        (
            Code(
                "missing-value",
                _E,
                "A value the record cannot exist without is blank.",
                "Fill it in, in the source system, and export again.",
            ),
            Code(
                "bad-id",
                _EW,
                "An ID the target system cannot hold (length, characters).",
                "Change the ID in the source system, or map it in a site template.",
            ),
            Code(
                "bad-date",
                _EW,
                "A date that cannot be read in the date order in use.",
                "Fix the date, or pass --date-order (mdy, dmy, ymd).",
            ),
            Code(
                "bad-number",
                _EW,
                "A number or amount that cannot be read or held.",
                "Fix the value in the source system.",
            ),
            Code(
                "bad-bool",
                _EW,
                "A yes/no value that is not TRUE/FALSE (or 1/0, Yes/No).",
                "Fix the value in the source system.",
            ),
            Code(
                "bad-code",
                _EW,
                "A code the target field does not allow.",
                "Use an allowed code, or add it to the template's code_map.",
            ),
            Code(
                "odd-value",
                _W,
                "A value the target cannot hold or map, carried as it came or left blank (once per value and column).",
                "Nothing, if the value is right; else fix it, or add a code_map to a site template.",
            ),
            Code(
                "filled-in",
                _W,
                "A blank name or description was filled in with the record's ID.",
                "Give the record a name in its system and export again.",
            ),
            Code(
                "formula",
                _E,
                "A value going out would run as a formula in a spreadsheet program (=, +, -, @).",
                "Change the value in the source system; rejects.csv shows it with a leading ' as text.",
            ),
            Code(
                "too-long",
                _WE,
                "A value longer than the target field holds was cut (an error where it is the key).",
                "Shorten it in the source system if the cut value is wrong.",
            ),
            Code(
                "quote-replaced",
                _W,
                "A double quote Sage cannot import was replaced by a single one.",
                "Nothing to do, or change the text in the source system.",
            ),
            Code(
                "newline-replaced",
                _W,
                "A line break inside a value was replaced by a space.",
                "Nothing to do, or change the text in the source system.",
            ),
            Code(
                "unencodable",
                _W,
                "Characters Windows-1252 cannot hold were replaced.",
                "Nothing to do, or change the text in the source system.",
            ),
            Code(
                "duplicate-key",
                _E,
                "Two rows of the file have the same ID.",
                "Keep one of them in the source system and export again.",
            ),
            Code(
                "missing-setting",
                _E,
                "A setting Sage needs (an account, a sales tax code) is not in the config.",
                "Add the key the message names to bizops-sage50.toml.",
            ),
            Code(
                "missing-account",
                _E,
                "A line with no G/L account: not on the line, the product, nor the config.",
                "Set the line's or product's account, or the config default the message names.",
            ),
            Code(
                "bad-template",
                _E,
                "A mapping template or layout is invalid.",
                "Run `bizops-sage50 templates check FILE` and fix what it lists.",
            ),
            Code(
                "usage",
                _E,
                "A command-line option or argument that cannot be used.",
                "Fix the command as the message says (see --help).",
            ),
        ),
    ),
    (
        "Documents (transactions)",
        (
            Code(
                "split-document",
                _E,
                "The rows of one document are not together.",
                "Put all rows of a document one after another.",
            ),
            Code(
                "distribution-count",
                _E,
                "Number of Distributions differs from the document's rows.",
                "Export the journal again, or fix the count.",
            ),
            Code(
                "inconsistent-header",
                _E,
                "A header column differs between the rows of one document.",
                "Make the header columns the same on every row of the document.",
            ),
            Code(
                "amount-mismatch",
                _E,
                "A line's Amount is not Quantity × Unit Price.",
                "Correct the line (charge lines have Quantity 0).",
            ),
            Code(
                "unbalanced",
                _E,
                "A document does not balance to the cent.",
                "Correct the amounts; the message gives the difference.",
            ),
            Code(
                "too-many-distributions",
                _E,
                "A document has more distributions than Sage imports (154 or 160).",
                "Split the document in the source system.",
            ),
            Code(
                "control-totals",
                _E,
                "The batch's control totals in and out disagree; nothing was written.",
                "Report it with the file; it is a converter fault.",
            ),
            Code("draft-skipped", _I, "A Draft invoice is not sent.", "Finalize it in BizOps to send it."),
            Code(
                "already-synced",
                _I,
                "An invoice with SyncedAt set was sent before and is skipped.",
                "Nothing to do.",
            ),
            Code(
                "duplicate-document", _I, "A document already sent, unchanged, is skipped.", "Nothing to do."
            ),
            Code(
                "changed-after-send",
                _E,
                "A document already sent to the other system has changed.",
                "Change it in the target system by hand, or give it a new number.",
            ),
            Code(
                "mixed-prepayment",
                _E,
                "A BizOps payment mixes a prepayment with invoice rows.",
                "Give the prepayment its own PaymentReference.",
            ),
            Code(
                "prepayment-with-invoice",
                _E,
                "A prepayment row names an invoice.",
                "Clear InvoiceNumber, or set Prepayment FALSE.",
            ),
        ),
    ),
    (
        "References, ownership and the ledger",
        (
            Code(
                "unknown-reference",
                _EW,
                "A customer, vendor, item or G/L account the target system does not have.",
                "Convert or export that master list first, or set [checks] unknown_references.",
            ),
            Code(
                "references-unchecked",
                _I,
                "No list of that entity is known yet, so its references were not checked.",
                "Export the list from the target system and convert it once.",
            ),
            Code(
                "reference-only",
                _I,
                "An export from the system that does not own the table: read for reference, not converted.",
                "Nothing to do; pass --initial-load for the first copy of a table.",
            ),
            Code(
                "chart-recorded",
                _I,
                "A Sage chart of accounts was recorded; transactions are checked against it.",
                "Nothing to do.",
            ),
            Code(
                "credit-limits-only",
                _I,
                "A Sage customer list yields only credit limits, as BizOps owns customers.",
                "Nothing to do.",
            ),
            Code(
                "credit-limit-held",
                _W,
                "A credit-limit change above a [credit_limits] threshold is held for review.",
                "Check held-credit-limits.csv, then convert again with --release-held.",
            ),
            Code(
                "credit-limit-drift",
                _W,
                "A BizOps credit limit differs from Sage's (Sage keeps the receivables).",
                "Let the next Sage customer export set it in BizOps.",
            ),
            Code(
                "bad-credit-limit",
                _E,
                "A Credit Limit that cannot be read: that customer's limit is left out.",
                "Fix the customer's Credit Limit in Sage and export again.",
            ),
            Code(
                "no-credit-limits",
                _W,
                "The Sage customer list has no Credit Limit column.",
                "Export the list with its Credit Limit column.",
            ),
            Code(
                "blank-kept",
                _I,
                "Blank cells in an update: the values sent before are kept.",
                "Nothing to do, unless the values should be cleared in the target by hand.",
            ),
            Code(
                "nothing-new",
                _I,
                "Nothing new or changed since the last batch; no batch was written.",
                "Nothing to do; --full sends everything again.",
            ),
            Code(
                "same-file",
                _I,
                "The same bytes (same template) were processed before.",
                "Nothing to do; --full converts it again.",
            ),
            Code(
                "confirmed",
                _I,
                "Records sent earlier are in this export of the target system.",
                "Nothing to do.",
            ),
            Code(
                "drift",
                _W,
                "The target system holds other values than were sent.",
                "Check the record in both systems; the owner's value wins on the next send.",
            ),
            Code(
                "history-not-recorded",
                _W,
                "The run could not be added to the history (the conversion is unaffected).",
                "Check that the ledger folder is writable (`bizops-sage50 doctor`).",
            ),
        ),
    ),
    (
        "The run itself",
        (
            Code(
                "internal-error",
                _E,
                "The converter failed unexpectedly; nothing was written.",
                "Keep the file and report it, with the traceback of --debug or the watcher's log.",
            ),
            Code(
                "claim-conflict",
                _E,
                "Other converters sharing the ledger kept sending the same file or records; nothing was written.",
                "Convert the file again when they are done (it is then found already processed, or converts).",
            ),
            Code(
                "not-a-file",
                _E,
                "An entry in the inbox is not a regular file (a FIFO, socket, device or a folder named like an export); never opened.",
                "Remove it from the inbox; put the export itself there.",
            ),
            Code(
                "outbox-unwritable",
                _E,
                "The outbox cannot be written (disk full, missing, or replaced by a file); the file waits in the inbox.",
                "Free space or restore the outbox folder; the watcher converts the file again when it can.",
            ),
            Code(
                "archive-failed",
                _E,
                "The watcher could not move a file out of processing/.",
                "Check the inbox's permissions; it is retried when the watcher next starts.",
            ),
        ),
    ),
)

CODES: dict[str, Code] = {c.code: c for _, group in _CODES for c in group}


def check(code: str, severity: str) -> None:
    """Raise ``ValueError`` for a code (or a severity of it) that is not in the registry."""
    known = CODES.get(code)
    if known is None:
        raise ValueError(f"issue code {code!r} is not in converter/core/issue_codes.py; add it there")
    if severity not in known.severities:
        raise ValueError(
            f"issue code {code!r} is registered as {'/'.join(known.severities)}, not {severity!r}"
        )


# ---------------------------------------------------------------- the README's list

BEGIN = "<!-- issue-codes: begin (generated from converter/core/issue_codes.py: `python -m converter.core.issue_codes`) -->"
END = "<!-- issue-codes: end -->"


def markdown() -> str:
    """The README's table of codes."""
    lines = []
    for title, group in _CODES:
        lines += [f"**{title}**", "", "| Code | Severity | Meaning | What to do |", "|---|---|---|---|"]
        lines += [f"| `{c.code}` | {' or '.join(c.severities)} | {c.meaning} | {c.action} |" for c in group]
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def readme_with_codes(text: str) -> str:
    """``text`` (the README) with the generated block replaced."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError("README.md has no issue-codes block")
    return pattern.sub(lambda _m: f"{BEGIN}\n{markdown()}\n{END}", text)


if __name__ == "__main__":  # rewrite the README's block
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(readme_with_codes(readme.read_text(encoding="utf-8")), encoding="utf-8")
