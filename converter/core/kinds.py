"""Documents of a Sage journal that are not the entity's kind: skipped and counted, never errors.

A real Purchase Journal holds plain vendor bills beside receipts against purchase orders, and a
Sales Journal holds quotes beside invoices and credit memos. BizOps exchanges only PO receipts and
invoices, so the other documents are neither converted nor rejected: they are skipped, counted in
the result, the manifest and the review Summary, and named in one info issue per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .issues import Issue

if TYPE_CHECKING:  # pandas is imported where frames are handled, not by `batches` or `review`
    import pandas as pd


@dataclass(frozen=True)
class OtherKind:
    code: str  # stable: the key in the result's and the manifest's ``skipped_kinds``
    what: str  # plural, for people
    why: str


OTHER_KINDS = {
    "po_receipts": OtherKind(
        "vendor-bill",
        "vendor bills without a purchase order",
        "PO receipts only are exchanged (a receipt has a PO Number on its lines)",
    ),
    "invoices": OtherKind(
        "quote",
        "quotes",
        "invoices and credit memos only are exchanged (a quote has Quote TRUE)",
    ),
}
DESCRIPTIONS = {kind.code: kind.what for kind in OTHER_KINDS.values()}
_EXAMPLES = 3


def other_kind_rows(normal: pd.DataFrame, labels: pd.Series, entity: str) -> pd.Series:
    """True on every row of a document that is not ``entity``'s kind (read from a Sage journal).

    A Purchase Journal document with no ``PO Number`` on any row is a vendor bill; a Sales Journal
    document with ``Quote`` TRUE is a quote. Without the telling column nothing is skipped.
    """
    if entity == "po_receipts" and "PO Number" in normal.columns:
        blank = normal["PO Number"].fillna("").astype(str).str.strip() == ""
        return blank.groupby(labels, sort=False).transform("all").astype(bool)
    if entity == "invoices" and "Quote" in normal.columns:
        quote = normal["Quote"].fillna("").astype(str).str.strip().str.upper() == "TRUE"
        return quote.groupby(labels, sort=False).transform("any").astype(bool)
    import pandas as pd

    return pd.Series(False, index=normal.index)


@dataclass
class SkippedKinds:
    """Rows and documents skipped as another kind, across the chunks of one file."""

    entity: str
    rows: int = 0
    documents: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, labels: pd.Series) -> None:
        """Count the skipped rows, given their document labels."""
        if labels.empty:
            return
        firsts = labels[~labels.duplicated()]
        self.rows += len(labels)
        self.documents += len(firsts)
        for label in firsts.iloc[: max(0, _EXAMPLES - len(self.examples))]:
            parts = str(label).split("\x1e")[0].split("\x1f")
            self.examples.append(" ".join(p for p in parts if p.strip()))

    def counts(self) -> dict[str, int]:
        """``{kind code: rows}``, empty when nothing was skipped."""
        return {OTHER_KINDS[self.entity].code: self.rows} if self.rows else {}

    def issue(self) -> Issue | None:
        """One info issue for the file: how many, which (a few), and why."""
        if not self.rows:
            return None
        kind = OTHER_KINDS[self.entity]
        shown = ", ".join(repr(e) for e in self.examples)
        more = ", …" if self.documents > len(self.examples) else ""
        rows = "1 row is" if self.rows == 1 else f"{self.rows} rows are"
        docs = "1 document" if self.documents == 1 else f"{self.documents} documents"
        return Issue(
            None,
            None,
            "other-kind-skipped",
            f"{rows} {kind.what} ({docs}: {shown}{more}); {kind.why}, so they were skipped. "
            "Nothing to fix: they stay in Sage 50.",
            "info",
        )
