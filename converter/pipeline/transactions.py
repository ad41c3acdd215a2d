"""Transactions through the pipeline: documents in, documents out, whole or not at all.

The pipeline hands this module blocks of complete documents (the last document of each chunk is
carried to the next). BizOps documents become Sage journals (``journals.build_sage``); Sage
journals become BizOps documents (``journals.split_sage``). A document with any error is
rejected whole. Control totals in and out are kept for the manifest; if they disagree the batch
fails and nothing reaches the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.kinds import SkippedKinds, other_kind_rows
from ..core.settings import Settings
from ..core.values import column_jsons, each_distinct, texts
from ..io.layouts import Layout, MapTemplate
from ..mapping.engine import CellNotes, MapContext, apply_map, source_column_for
from ..mapping.odd_values import OddValues
from ..mapping.validation import check_target, normalise_source
from ..sage50.documents import (
    BIZOPS_DOCS,
    DOC,
    Controls,
    amounts,
    check_line_amounts,
    group_by_count,
    group_by_key,
    header_conflicts,
    rows_of_bad_documents,
    skipped_documents,
)
from ..sage50.journals import (
    JOURNALS,
    KIND,
    TOTAL_PAID,
    BuildContext,
    build_sage,
    check_balance,
    sage_signs,
    split_sage,
)
from ..sage50.prepayments import missing_invoices, sage_rules
from ..sage50.references import BIZOPS_REFS, SAGE_REFS, reference_issues
from ..sage50.tax_agencies import agencies_in
from ..sync.catalog import Catalog
from ..sync.ledger import Ledger, column_fingerprints, sent_fingerprints
from ..sync.spool import Spool


@dataclass
class Block:
    """What one block of documents produced."""

    output: pd.DataFrame  # target rows (may hold dunder columns, dropped by the writer)
    bad_rows: list[int]  # source rows rejected
    skipped_rows: list[int]  # source rows skipped (drafts, already synced)
    issues: list[Issue]
    notes: list[CellNotes] = field(default_factory=list)  # cells filled in (for the review workbook)
    # Updated records: source row → {field: (value sent before, value now)}.
    changes: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)


def labels_for(frame: pd.DataFrame, source: Layout) -> tuple[pd.Series, list[Issue]]:
    if source.system == "bizops":
        return group_by_key(frame, BIZOPS_DOCS[source.entity].key)
    journal = JOURNALS[source.entity]
    return group_by_count(
        frame, (journal.partner, journal.number), "Number of Distributions", "Transaction Number"
    )


class TransactionConverter:
    """Converts blocks of complete documents in one direction, keeping control totals."""

    def __init__(
        self,
        *,
        source: Layout,
        target: Layout,
        template: MapTemplate,
        settings: Settings,
        catalog: Catalog,
        date_order: str,
        ledger: Ledger | None = None,
        full: bool = False,
    ) -> None:
        self.source, self.target, self.template = source, target, template
        self.settings, self.catalog, self.date_order = settings, catalog, date_order
        self.controls = Controls()
        self.unchecked: set[str] = set()
        self.severity = str(settings.get("checks.unknown_references", "error"))
        self.ledger = ledger
        self.full = full
        self.staged = Spool()
        self.emitted: dict[str, int] = {}  # BizOps document keys seen in earlier blocks → first row
        self._notes: list[CellNotes] = []
        self.odd = OddValues()  # odd values of the whole file, one warning per distinct value
        self.tax_agencies: set[str] = set()  # Sage sales tax agencies seen on its rows
        self.other_kinds = SkippedKinds(source.entity)  # Sage documents not of this kind (bills, quotes)

    def convert(self, frame: pd.DataFrame, read_issues: list[Issue]) -> Block:
        normal, issues = normalise_source(frame, self.source, date_order=self.date_order, odd=self.odd)
        issues = [*read_issues, *issues]
        if self.source.system == "sage50":
            self.tax_agencies |= agencies_in([normal])  # what Sage knows, for `doctor`
        labels, found = labels_for(normal, self.source)
        issues += found + header_conflicts(normal, labels, self.source)
        if self.source.system == "bizops":
            issues += self._split_across_chunks(normal, labels)
        if self.source.system == "bizops":
            return self._from_bizops(normal, labels, issues)
        return self._from_sage(normal, labels, issues)

    def _split_across_chunks(self, normal: pd.DataFrame, labels: pd.Series) -> list[Issue]:
        """A BizOps document whose rows come back after other documents, in a later chunk."""
        spec = BIZOPS_DOCS[self.source.entity]
        firsts = normal[~labels.duplicated()]
        keys = firsts[spec.key[0]].fillna("").astype(str)
        for name in spec.key[1:]:
            keys = keys + " / " + firsts[name].fillna("").astype(str)
        issues, new = [], {}
        for row, key in keys.items():
            if key in self.emitted:  # within this block, group_by_key reports it already
                issues.append(
                    Issue(
                        int(row),
                        spec.key[0],
                        "split-document",
                        f"Rows of document {key!r} are not together (it started on row {self.emitted[key]}); "
                        "put all rows of a document one after another.",
                        "error",
                    )
                )
            else:
                new.setdefault(key, int(row))
        self.emitted.update(new)
        return issues

    def _document_keys(self, output: pd.DataFrame) -> pd.Series:
        if self.target.system == "sage50":
            journal = JOURNALS[self.target.entity]
            cols = (journal.partner, journal.number)
        else:
            cols = BIZOPS_DOCS[self.target.entity].key
        key = output[cols[0]].astype(str)
        for c in cols[1:]:
            key = key + "|" + output[c].astype(str)
        return key

    def _sent_once(
        self, output: pd.DataFrame, issues: list[Issue]
    ) -> tuple[pd.DataFrame, set[str], set[str]]:
        """A document already sent is skipped; one sent before with other content is an error.

        Returns the output without those documents, and the labels of duplicates and changed ones.
        """
        if output.empty or self.ledger is None:
            return output, set(), set()
        fields = [c for c in output.columns if not c.startswith("__")]
        keys = self._document_keys(output)
        firsts = ~output[DOC].duplicated()
        doc_key = dict(zip(output[DOC][firsts], keys[firsts], strict=True))
        # Each document's rows, found once (factorize + stable sort), not by a pandas groupby per
        # document: a field of a document is its rows' values joined in order with " | ", the
        # joins done a field at a time (np.add.reduceat over the rows, sorted by document).
        codes, labels = pd.factorize(output[DOC].to_numpy(dtype=object))
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        later = np.ones(len(order), dtype=bool)
        later[starts] = False
        joined = []
        for f in fields:
            cells = texts(output[f])[order]
            cells[later] = " | " + cells[later]
            joined.append(np.add.reduceat(cells, starts) if len(cells) else cells)
        rows = output.index.to_numpy()[order][starts].tolist()
        doc_keys = list(map(doc_key.__getitem__, labels))
        fps = column_fingerprints(fields, joined, len(labels))
        # What was sent under these keys: fingerprints first; what was sent only of those that differ.
        marks = self.ledger.sent_marks(self.target.entity, self.target.system, doc_keys)
        before = list(map(marks.get, map(str.casefold, doc_keys)))
        before_fps = np.array(sent_fingerprints(marks, doc_keys), dtype=object)  # None: never sent
        sent = [] if self.full else np.flatnonzero(np.not_equal(before_fps, None)).tolist()
        same = np.equal(before_fps, np.array(fps, dtype=object))
        differ = [i for i in sent if not same[i]]
        earlier = self.ledger.sent(self.target.entity, self.target.system, [doc_keys[i] for i in differ])
        gone = {i for i in differ if doc_keys[i].casefold() not in earlier}  # forgotten meanwhile: new
        fresh = sorted(set(range(len(labels))).difference(sent).union(gone))
        jsons = column_jsons(fields, [column[fresh] for column in joined], len(fresh))
        staged = zip(map(doc_keys.__getitem__, fresh), map(fps.__getitem__, fresh), jsons, strict=True)
        self.staged.extend(list(staged))
        duplicates: set[str] = set()
        changed: set[str] = set()
        target = "Sage 50" if self.target.system == "sage50" else "BizOps"
        for i in sent:
            key, label, (fingerprint, batch, sent_at) = doc_keys[i], labels[i], before[i]
            if i in gone:
                continue
            if fingerprint == fps[i]:
                duplicates.add(label)
                issues.append(
                    Issue(
                        rows[i],
                        None,
                        "duplicate-document",
                        f"{key.replace('|', ' ')} was already sent to {target} on {sent_at[:10]} in batch "
                        f"{batch}; skipped.",
                        "info",
                    )
                )
                continue
            prev = earlier[key.casefold()]
            diff = [f for f, column in zip(fields, joined, strict=True) if prev.data.get(f) != column[i]]
            changed.add(label)
            issues.append(
                Issue(
                    rows[i],
                    None,
                    "changed-after-send",
                    f"{key.replace('|', ' ')} was already sent to {target} on {prev.sent_at[:10]} in batch "
                    f"{prev.batch}; changed fields: {', '.join(diff)}. {target} would reject or duplicate it: "
                    "correct it there, or `bizops-sage50 forget` that batch if it was never loaded.",
                    "error",
                )
            )
        return output[~output[DOC].isin(duplicates | changed)], duplicates, changed

    def _map(self, frame: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
        """Row-level fields through the mapping template; its issues join ``issues``."""
        ctx = MapContext(
            settings=self.settings,
            source_system=self.source.system,
            date_order=self.date_order,
            target_layout=self.target,
            odd=self.odd,
        )
        mapped = apply_map(frame, self.template, ctx)
        issues += ctx.issues
        self._notes = ctx.notes
        return mapped

    def _check_target(self, frame: pd.DataFrame, issues: list[Issue]) -> list[Issue]:
        """The target system's rules (IDs, lengths, characters) on the output, fixed in place.

        Rows already in error are not reported again: their document is rejected anyway.
        """
        cols = [c for c in frame.columns if not c.startswith("__")]
        if frame.empty:
            return []
        keys = each_distinct(frame[DOC], lambda label: label.split("\x1e")[0].replace("\x1f", " / "))
        checked, found = check_target(
            frame[cols], self.target, source_columns=source_column_for(self.template), keys=keys, odd=self.odd
        )
        frame[cols] = checked
        in_error = {i.row for i in issues if i.severity == "error"}
        return [i for i in found if i.severity != "error" or i.row not in in_error]

    # ---------------------------------------------------------------- BizOps -> Sage
    def _from_bizops(self, normal: pd.DataFrame, labels: pd.Series, issues: list[Issue]) -> Block:
        entity = self.source.entity
        spec = BIZOPS_DOCS[entity]
        skip, found = skipped_documents(normal, labels, entity)
        issues += found
        skipped = [int(r) for r in normal.index[skip.to_numpy()]]
        issues += check_line_amounts(normal, entity)
        if entity == "payments":
            issues += missing_invoices(normal) + sage_rules(normal, labels)
        mapped = self._map(normal, issues)
        bad = set(rows_of_bad_documents(labels, issues)) | set(skipped)
        keep = ~normal.index.isin(list(bad))
        bctx = BuildContext(self.settings, self.catalog, self.target, [])
        built = (
            build_sage(mapped[keep], normal[keep], labels[keep], spec, bctx)
            if keep.any()
            else mapped.iloc[0:0].assign(**{DOC: "", KIND: ""})
        )
        issues += bctx.issues
        issues += self._check_target(built, issues)
        refs, unchecked = reference_issues(
            built, SAGE_REFS, self.catalog, "sage50", self.severity, source_column_for(self.template)
        )
        issues += refs
        self.unchecked.update(unchecked)
        rejected = [r for r in rows_of_bad_documents(labels, issues) if r not in skipped]
        good_docs = set(labels[keep & ~normal.index.isin(rejected)])
        output = built[built[DOC].isin(good_docs)] if not built.empty else built
        output, duplicates, changed = self._sent_once(output, issues)
        skipped += [int(r) for r in labels.index[labels.isin(duplicates)]]
        rejected += [int(r) for r in labels.index[labels.isin(changed)]]
        good_docs -= duplicates | changed
        sent = normal[normal.index.isin(labels.index[labels.isin(good_docs)])]
        self._controls_bizops_in(sent, labels, spec)
        self._controls_sage_out(output)
        return Block(output, rejected, skipped, issues, self._notes)

    def _controls_bizops_in(self, sent: pd.DataFrame, labels: pd.Series, spec) -> None:
        if sent.empty:
            return
        first = ~labels[sent.index].duplicated()
        qty = amounts(sent[spec.quantity]).sum() if spec.quantity else 0.0
        tax = amounts(sent[spec.tax][first]).sum() if spec.tax and spec.tax in sent.columns else 0.0
        freight = (
            amounts(sent[spec.freight][first]).sum() if spec.freight and spec.freight in sent.columns else 0.0
        )
        self.controls.inbound.add(
            documents=int(first.sum()),
            lines=len(sent),
            quantity=qty,
            net=amounts(sent[spec.amount]).sum(),
            tax=tax,
            freight=freight,
        )

    def _controls_sage_out(self, out: pd.DataFrame) -> None:
        if out.empty:
            return
        journal = JOURNALS[self.target.entity]
        sign = sage_signs(out, journal) * journal.line_sign
        amt = amounts(out["Amount"]) * sign
        item = out[KIND] == "item"
        qty = (
            (amounts(out["Quantity"]) * sage_signs(out, journal))[item].sum()
            if "Quantity" in out.columns
            else 0.0
        )
        self.controls.outbound.add(
            documents=out[DOC].nunique(),
            lines=int(item.sum()),
            quantity=qty,
            net=amt[item].sum(),
            tax=amt[out[KIND] == "tax"].sum(),
            freight=amt[out[KIND] == "freight"].sum(),
        )

    # ---------------------------------------------------------------- Sage -> BizOps
    def _from_sage(self, normal: pd.DataFrame, labels: pd.Series, issues: list[Issue]) -> Block:
        journal = JOURNALS[self.source.entity]
        spec = BIZOPS_DOCS[self.target.entity]
        normal, labels, issues, other = self._skip_other_kinds(normal, labels, issues)
        issues += check_balance(normal, labels, journal)
        bad = set(rows_of_bad_documents(labels, issues))
        keep = ~normal.index.isin(list(bad))
        lines, extras = split_sage(normal[keep], labels[keep], journal, self.settings)
        mapped = self._map(lines, issues)
        _finish_bizops(mapped, extras, spec, self.target)
        mapped[DOC] = extras[DOC]
        issues += self._check_target(mapped, issues)
        if self.target.entity == "payments":
            issues += missing_invoices(
                mapped, column=source_column_for(self.template).get("InvoiceNumber", "InvoiceNumber")
            )
        refs, unchecked = reference_issues(
            mapped, BIZOPS_REFS, self.catalog, "bizops", self.severity, source_column_for(self.template)
        )
        issues += refs
        self.unchecked.update(unchecked)
        rejected = rows_of_bad_documents(labels, issues)
        good_docs = set(labels[keep & ~normal.index.isin(rejected)])
        output = mapped[mapped[DOC].isin(good_docs)]
        output, duplicates, changed = self._sent_once(output, issues)
        skipped = other + [int(r) for r in labels.index[labels.isin(duplicates)]]
        rejected += [int(r) for r in labels.index[labels.isin(changed)]]
        good_docs -= duplicates | changed
        sent = normal[labels.isin(good_docs).to_numpy()]
        self._controls_sage_in(sent, labels[sent.index], journal)
        self._controls_bizops_out(output, spec)
        return Block(output, rejected, skipped, issues, self._notes)

    def _skip_other_kinds(
        self, normal: pd.DataFrame, labels: pd.Series, issues: list[Issue]
    ) -> tuple[pd.DataFrame, pd.Series, list[Issue], list[int]]:
        """Leave out documents of another kind (vendor bills, quotes), and what was found in them.

        A document whose rows do not match its Number of Distributions is kept: which rows it
        holds is in doubt, so it stays an error rather than being skipped.
        """
        other = other_kind_rows(normal, labels, self.source.entity)
        if not other.any():
            return normal, labels, issues, []
        miscounted = {i.row for i in issues if i.code == "distribution-count"}
        other &= ~labels.isin(set(labels[labels.index.isin(miscounted)]))
        self.other_kinds.add(labels[other])
        rows = {int(r) for r in normal.index[other.to_numpy()]}
        kept = [i for i in issues if i.row is None or i.row not in rows]
        return normal[~other], labels[~other], kept, sorted(rows)

    def _controls_sage_in(self, sent: pd.DataFrame, labels: pd.Series, journal) -> None:
        if sent.empty:
            return
        from ..sage50.journals import classify_sage_rows

        kind = classify_sage_rows(sent, journal, self.settings)
        sign = sage_signs(sent, journal)
        amt = amounts(sent["Amount"]) * sign * journal.line_sign
        qty = (amounts(sent["Quantity"]) * sign)[kind == "item"].sum() if "Quantity" in sent.columns else 0.0
        self.controls.inbound.add(
            documents=labels.nunique(),
            lines=int((kind == "item").sum()),
            quantity=qty,
            net=amt[kind == "item"].sum(),
            tax=amt[kind == "tax"].sum(),
            freight=amt[kind == "freight"].sum(),
        )

    def _controls_bizops_out(self, out: pd.DataFrame, spec) -> None:
        if out.empty:
            return
        first = ~out[DOC].duplicated()
        qty = amounts(out[spec.quantity]).sum() if spec.quantity and spec.quantity in out.columns else 0.0
        tax = amounts(out[spec.tax][first]).sum() if spec.tax and spec.tax in out.columns else 0.0
        freight = (
            amounts(out[spec.freight][first]).sum() if spec.freight and spec.freight in out.columns else 0.0
        )
        self.controls.outbound.add(
            documents=out[DOC].nunique(),
            lines=len(out),
            quantity=qty,
            net=amounts(out[spec.amount]).sum(),
            tax=tax,
            freight=freight,
        )


def _finish_bizops(mapped: pd.DataFrame, extras: pd.DataFrame, spec, target: Layout) -> None:
    """Fields the journal structure carries rather than a column: line numbers, tax, freight, type."""
    names = set(target.field_names)
    if spec.line_number and spec.line_number in names:
        mapped[spec.line_number] = extras["__line__"]
    if spec.tax and spec.tax in names:
        mapped[spec.tax] = extras["__tax__"].where(extras["__tax__"] != "0.00", "")
    if spec.freight and spec.freight in names:
        mapped[spec.freight] = extras["__freight__"].where(extras["__freight__"] != "0.00", "")
    if "DocumentType" in names:
        mapped["DocumentType"] = np.where(extras["__credit__"], "CreditMemo", "Invoice")
    if target.entity == "invoices" and "Status" in names:
        mapped["Status"] = "Finalized"


def computed_fields(target: Layout) -> list[str]:
    """Target fields the journal structure fills (besides what the template maps)."""
    if target.system == "bizops":
        spec = BIZOPS_DOCS[target.entity]
        names = [spec.line_number, spec.tax, spec.freight, spec.amount, "DocumentType", "Status"]
    else:
        journal = JOURNALS[target.entity]
        names = [
            journal.sequence,
            journal.account,
            journal.amount,
            journal.credit_memo,
            journal.due,
            "Number of Distributions",
            "Amount",
            "G/L Account",
        ]
        if journal.tax:
            names += ["Tax Type", "Sales Tax Agency ID", "Description"]
        if journal.entity == "payments":
            names += [TOTAL_PAID, "Discount Account", "Prepayment"]
    return [
        n for n in names if n and target.has_field(n) and (target.entity == "invoices" or n != "DocumentType")
    ]
