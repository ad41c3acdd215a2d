"""Master tables (customers, vendors, products) through the pipeline, one block of rows at a time.

Each row is one record. Rows with an error are rejected alone; the rest convert. A key that
appears twice in one file is an error on the later rows (Sage IDs are case-insensitive).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.settings import Settings
from ..core.values import column_jsons, row_jsons, texts
from ..io.layouts import Layout, MapTemplate
from ..mapping.engine import CellNotes, MapContext, apply_map, source_column_for
from ..mapping.odd_values import OddValues
from ..mapping.validation import check_target, normalise_source
from ..sync.catalog import Catalog
from ..sync.ledger import Ledger, column_fingerprints, fingerprint, sent_fingerprints
from ..sync.spool import Spool
from .transactions import Block

# What the catalog keeps of each master, per system: catalog field → layout field.
CATALOG_FIELDS: dict[tuple[str, str], dict[str, str]] = {
    ("bizops", "customers"): {"id": "CustomerID", "name": "Name", "terms_due_days": "TermsDueDays"},
    ("sage50", "customers"): {
        "id": "Customer ID",
        "name": "Customer Name",
        "terms_due_days": "Due Days",
        "credit_limit": "Credit Limit",
    },
    ("bizops", "vendors"): {"id": "VendorID", "name": "Name", "terms_due_days": "TermsDueDays"},
    ("sage50", "vendors"): {"id": "Vendor ID", "name": "Vendor Name", "terms_due_days": "Due Days"},
    ("bizops", "products"): {
        "id": "SKU",
        "title": "Title",
        "sales_account": "SalesAccount",
        "inventory_account": "InventoryAccount",
        "cogs_account": "COGSAccount",
        "taxable": "Taxable",
    },
    ("sage50", "products"): {
        "id": "Item ID",
        "title": "Item Description",
        "sales_account": "G/L Sales Account",
        "inventory_account": "G/L Inventory Account",
        "cogs_account": "G/L COGS/Salary Acct",
    },
    ("sage50", "accounts"): {
        "id": "Account ID",
        "description": "Account Description",
        "type": "Account Type",
    },
}


CREDIT_COLUMNS = ("Customer ID", "Credit Limit", "Credit Status")
HOLD = 100_000  # master records (about 1 KB each for the ledger) a spool keeps in memory


def catalog_entries(frame: pd.DataFrame, system: str, entity: str) -> list[tuple[str, dict[str, Any]]]:
    """(ID, fields) pairs of a frame in ``system``'s names, for the catalog."""
    spec = CATALOG_FIELDS.get((system, entity))
    if not spec or spec["id"] not in frame.columns or frame.empty:
        return []
    cols = {k: frame[v].fillna("").astype(str) for k, v in spec.items() if v in frame.columns and k != "id"}
    if system == "sage50" and "Use Standard Terms" in frame.columns and "terms_due_days" in cols:
        cols["terms_due_days"] = cols["terms_due_days"].where(frame["Use Standard Terms"] != "TRUE", "")
    data = row_jsons(pd.DataFrame(cols, index=frame.index)) if cols else ["{}"] * len(frame)
    return list(zip(texts(frame[spec["id"]]), data, strict=True))


def _credit_rows(normal: pd.DataFrame, issues: list[Issue], source: Layout) -> pd.DataFrame:
    """The credit-limit columns of every record with a usable ID, whatever else is wrong with it:
    credit limits never fail for an unrelated field (``credit_limits`` checks the limit itself)."""
    unusable = {
        i.row
        for i in issues
        if i.severity == "error" and (i.column in source.key or i.code == "duplicate-key")
    }
    rows = normal.drop(index=[r for r in unusable if r in normal.index])
    return rows[[c for c in CREDIT_COLUMNS if c in rows.columns]]


def record_keys(frame: pd.DataFrame, layout: Layout) -> pd.Series:
    present = [k for k in layout.key if k in frame.columns]
    if not present:
        return pd.Series("", index=frame.index, dtype=object)
    key = frame[present[0]].astype(str)
    for name in present[1:]:
        key = key + "|" + frame[name].astype(str)
    return key


class MasterConverter:
    """Converts blocks of master records, remembering keys across blocks.

    With a ledger, only records that are new or changed since they were last sent go out (all of
    them with ``full``); on update a blank cell never overwrites a value sent before.
    """

    def __init__(
        self,
        *,
        source: Layout,
        target: Layout,
        template: MapTemplate,
        settings: Settings,
        date_order: str,
        ledger: Ledger | None = None,
        full: bool = False,
        catalog: Catalog | None = None,
    ) -> None:
        self.source, self.target, self.template = source, target, template
        self.settings, self.date_order = settings, date_order
        self.ledger, self.full, self.catalog = ledger, full, catalog
        self.seen: dict[str, int] = {}
        # (ID, JSON) entries for the catalog, recorded once the batch is written, and the records for
        # the ledger: on disk once there are more than HOLD, so a million customers do not sit in
        # memory twice over, while a list of ordinary size is never pickled to disk and back.
        self.source_entries = Spool(keep_keys=False, hold=HOLD)
        self.target_entries = Spool(keep_keys=False, hold=HOLD)
        self.staged = Spool(hold=HOLD)
        # Valid source rows: the last block's (for confirmations), and of a Sage customer list the
        # credit-limit columns of every block (only those: a million customers must fit in memory).
        self.last_valid = pd.DataFrame()
        self.source_frames: list[pd.DataFrame] = []
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        self.odd = OddValues()  # odd values of the whole file, one warning per distinct value

    def convert(self, frame: pd.DataFrame, read_issues: list[Issue]) -> Block:
        normal, found = normalise_source(frame, self.source, date_order=self.date_order, odd=self.odd)
        issues = [*read_issues, *found]
        ctx = MapContext(
            settings=self.settings,
            source_system=self.source.system,
            date_order=self.date_order,
            target_layout=self.target,
            odd=self.odd,
        )
        mapped = apply_map(normal, self.template, ctx)
        issues += ctx.issues
        keys = record_keys(mapped, self.target)
        checked, found = check_target(
            mapped, self.target, source_columns=source_column_for(self.template), keys=keys, odd=self.odd
        )
        # A cell already reported (a bad code, a bad date) is not reported again by the target check.
        reported = {(i.row, i.column) for i in issues if i.severity == "error"}
        issues += [i for i in found if i.severity != "error" or (i.row, i.column) not in reported]
        issues += self._duplicates(keys)
        issues += self._credit_limit_drift(normal, keys)
        bad = sorted({i.row for i in issues if i.severity == "error" and i.row is not None})
        good = checked.drop(index=bad)
        valid = normal.drop(index=bad)
        self.last_valid = valid
        if (self.source.system, self.source.entity) == ("sage50", "customers"):
            self.source_frames.append(_credit_rows(normal, issues, self.source))
        self.source_entries.extend(catalog_entries(valid, self.source.system, self.source.entity))
        self.target_entries.extend(catalog_entries(good, self.target.system, self.target.entity))
        block = Block(pd.DataFrame(), bad, [], issues, ctx.notes)
        block.output, block.skipped_rows = self._changes(good, keys.drop(index=bad), block)
        return block

    def _changes(self, good: pd.DataFrame, keys: pd.Series, block: Block) -> tuple[pd.DataFrame, list[int]]:
        """New and changed records (blanks filled from what was sent before); unchanged ones counted.

        A record whose fingerprint is the one sent before is unchanged: told a whole column at a
        time, without reading what was sent. Only the others (and all with ``full``) are compared
        field by field (``_compare``). For an update, ``block.changes`` gets each changed field's
        old and new value, and ``block.notes`` the blanks filled from what was sent before.
        """
        columns = list(good.columns)
        arrays = [texts(good[c]) for c in columns]
        key_list = keys.tolist()
        fps = column_fingerprints(columns, arrays, len(good))
        marks = (
            self.ledger.sent_marks(self.target.entity, self.target.system, key_list) if self.ledger else {}
        )
        before = np.array(sent_fingerprints(marks, key_list), dtype=object)  # None: never sent
        new = np.equal(before, None)
        same = np.zeros(len(good), dtype=bool) if self.full else np.equal(before, np.array(fps, dtype=object))
        new_pos = np.flatnonzero(new)
        changed, filled, alike = self._compare(
            good, key_list, fps, np.flatnonzero(~new & ~same), columns, arrays, block
        )
        unchanged = good.index.to_numpy()[
            np.union1d(np.flatnonzero(same), np.array(alike, dtype=np.intp))
        ].tolist()
        self.counts["created"] += len(new_pos)
        self.counts["unchanged"] += int(same.sum())
        keep = new_pos.tolist()
        if len(keep) < len(good):
            arrays = [a[new_pos] for a in arrays]
        jsons = column_jsons(columns, arrays, len(new_pos))  # what the ledger stores of a new record
        created = list(zip(map(key_list.__getitem__, keep), map(fps.__getitem__, keep), jsons, strict=True))
        if changed:
            staged = dict(zip(keep, created, strict=True)) | changed
            keep = sorted(staged)
            self.staged.extend([staged[pos] for pos in keep])
        else:
            self.staged.extend(created)
        output = good.iloc[keep].copy()
        for row, name, value in filled:
            if row in output.index:
                output.at[row, name] = value
        return output, unchanged

    def _compare(
        self,
        good: pd.DataFrame,
        key_list: list[str],
        fps: list[str],
        positions: np.ndarray,
        columns: list[str],
        arrays: list[np.ndarray],
        block: Block,
    ) -> tuple[dict[int, tuple], list[tuple[int, str, str]], list[int]]:
        """Records sent before with another fingerprint (all of them with ``full``), field by field.

        Returns the staged record of each updated position, the blanks filled from what was sent
        before (row, field, value), and the positions unchanged once those blanks are filled.
        """
        staged: dict[int, tuple] = {}
        filled: list[tuple[int, str, str]] = []
        alike: list[int] = []
        if not len(positions) or self.ledger is None:
            return staged, filled, alike
        earlier = self.ledger.sent(self.target.entity, self.target.system, [key_list[p] for p in positions])
        for pos in positions.tolist():
            row, key = int(good.index[pos]), key_list[pos]
            data = {c: a[pos] for c, a in zip(columns, arrays, strict=True)}
            prev = earlier.get(key.casefold())
            if prev is None:  # its batch was forgotten since it was looked up: new after all
                self.counts["created"] += 1
                staged[pos] = (key, fps[pos], data)
                continue
            kept = [f for f, v in data.items() if v == "" and prev.data.get(f)]
            for f in kept:
                data[f] = prev.data[f]
                filled.append((row, f, prev.data[f]))
            fp = fingerprint(data)
            if fp == prev.fingerprint and not self.full:
                alike.append(pos)
                self.counts["unchanged"] += 1
                continue
            self.counts["updated"] += 1
            block.changes[row] = {
                f: (str(prev.data.get(f, "")), str(v)) for f, v in data.items() if prev.data.get(f, "") != v
            }
            if kept:
                block.issues.append(
                    Issue(
                        row,
                        None,
                        "blank-kept",
                        f"{key}: blank {', '.join(kept)} in the file; the values sent before are kept.",
                        "info",
                    )
                )
                block.notes += [
                    CellNotes(
                        f,
                        "blank-kept",
                        pd.Series([""], index=[row]),
                        f"Blank in the file; {prev.data[f]!r}, sent before, is kept.",
                    )
                    for f in kept
                ]
            staged[pos] = (key, fp, data)
        return staged, filled, alike

    def _credit_limit_drift(self, normal: pd.DataFrame, keys: pd.Series) -> list[Issue]:
        """BizOps customers whose credit limit differs from Sage's (which owns credit limits)."""
        if self.catalog is None or self.source.system != "bizops" or "CreditLimit" not in normal.columns:
            return []
        known = self.catalog.entries("sage50", "customers")
        if not known:
            return []
        # Sage's limit of each row's customer, a column at a time; only rows with both are compared.
        limits = {key: (data or {}).get("credit_limit", "") for key, data in known.items()}
        sages = np.array(list(map(limits.get, map(str.casefold, keys.tolist()))), dtype=object)
        mine = texts(normal["CreditLimit"])
        both = np.flatnonzero((mine != "") & np.not_equal(sages, None) & np.not_equal(sages, ""))
        drift = both[np.array(mine[both], dtype=float) != np.array(sages[both], dtype=float)]
        return [
            Issue(
                int(row),
                "CreditLimit",
                "credit-limit-drift",
                f"{key}: BizOps has credit limit {limit}, Sage 50 has {sage}. Sage 50 owns credit "
                "limits: convert its latest CUSTOMER.CSV to bring BizOps in line.",
                "warning",
            )
            for row, key, limit, sage in zip(
                normal.index[drift], keys.iloc[drift], mine[drift], sages[drift], strict=True
            )
        ]

    def _duplicates(self, keys: pd.Series) -> list[Issue]:
        # Sage IDs are case-insensitive: casefolded in C, a column at a time (keys are text; a
        # missing one, should it ever come, is folded by pandas, which passes it through).
        try:
            folded = pd.Series(list(map(str.casefold, keys.tolist())), index=keys.index, dtype=object)
        except TypeError:
            folded = keys.str.casefold()
        present = folded != ""
        earlier = np.fromiter(map(self.seen.__contains__, folded), dtype=bool, count=len(folded))
        dups = present & (folded.duplicated(keep="first") | earlier)
        firsts = folded[present & ~dups]
        self.seen.update(zip(firsts.tolist(), firsts.index.tolist(), strict=True))
        rules = self.template.rules
        key_col = rules[0].sources[0] if rules and rules[0].sources else None
        return [
            Issue(
                int(keys.index[p]),
                key_col,
                "duplicate-key",
                f"{keys.iloc[p]!r} is also on row {self.seen[folded.iloc[p]]}; only the first is converted. "
                "Remove or renumber the duplicate.",
                "error",
            )
            for p in np.flatnonzero(dups.to_numpy())
        ]
