"""Which system and entity does a file belong to? Decided from its header, not its name.

The file name is only a hint, used to break ties. A file without a heading row (Sage can export
without one) is matched to a layout by its column count, with a warning saying so: every known
variant of every candidate layout is tried, and a count that fits more than one is an error naming
them. Sage's custom field columns carry the company's own labels as headers; they are kept under
those labels. Layouts whose headers are unverified never win over one that fits, and are never
matched by column count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import DetectionError, TemplateError
from ..core.issues import Issue
from .layouts import Layout, layout_candidates, load_layout, normalise_header
from .reading import TableFile

# A heading row must name at least this share of its non-blank cells to count as recognised.
_MIN_SHARE = 0.5


@dataclass
class Detection:
    """How a file's columns line up with a layout."""

    layout: Layout
    has_header: bool
    columns: list[str]  # frame column names, in file order: field names, or kept labels
    headers: list[str]  # the file's own heading cells (or the layout's names when headerless)
    variant: str | None = None
    custom_labels: dict[str, str] = field(default_factory=dict)  # label -> custom slot
    issues: list[Issue] = field(default_factory=list)

    @property
    def system(self) -> str:
        return self.layout.system

    @property
    def entity(self) -> str:
        return self.layout.entity


@dataclass
class _Score:
    layout: Layout
    matched: dict[int, str]  # header position -> field name
    missing_required: list[str]
    share: float

    @property
    def ok(self) -> bool:
        return not self.missing_required and self.share >= _MIN_SHARE

    def rank(self, hint: str) -> tuple:
        return (
            self.ok,
            not self.layout.unverified,  # a guessed layout never takes a file from one that fits
            len(self.matched) - 3 * len(self.missing_required),
            hint == self.layout.file_name.casefold(),
            self.share,
        )


def _score(layout: Layout, header: list[str], extra_aliases: dict[str, str]) -> _Score:
    index = {**layout.header_index, **extra_aliases}
    matched: dict[int, str] = {}
    used: set[str] = set()
    for pos, cell in enumerate(header):
        name = index.get(normalise_header(cell))
        if name and name not in used:
            matched[pos] = name
            used.add(name)
    required = [f.name for f in layout.fields if f.required or f.name in layout.key]
    missing = [n for n in dict.fromkeys(required) if n not in used]
    # A partial layout knows only the leading columns: its share is measured on those.
    scope = len(layout.fields) if layout.partial else len(header)
    nonblank = sum(1 for c in header[:scope] if c.strip()) or 1
    return _Score(layout, matched, missing, sum(1 for p in matched if p < scope) / nonblank)


def _site_aliases(layout: Layout, site_columns: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, str]:
    out = {}
    for fname, spellings in site_columns.get(layout.name, {}).items():
        for s in spellings:
            out[normalise_header(s)] = fname
    return out


def _candidates(entity: str | None, source_system: str | None) -> list[Layout]:
    layouts = [
        lay
        for lay in layout_candidates()
        if not lay.read_only
        and (entity is None or lay.entity == entity)
        and (source_system is None or lay.system == source_system)
    ]
    if not layouts:
        raise TemplateError(f"No layout to read {entity or 'files'} from {source_system or 'any system'}.")
    return layouts


def detect(
    table: TableFile,
    *,
    entity: str | None = None,
    source_system: str | None = None,
    site_columns: dict[str, dict[str, tuple[str, ...]]] | None = None,
) -> Detection:
    """Match ``table`` to a layout; raise ``DetectionError`` naming the closest ones."""
    head = table.head(3)
    if not head:
        raise DetectionError(f"{table.path.name} has no rows. Export the file again from its system.")
    header = [c.strip() for c in head[0]]
    hint = table.path.name.casefold()
    layouts = _candidates(entity, source_system)
    scores = [_score(lay, header, _site_aliases(lay, site_columns or {})) for lay in layouts]
    scores.sort(key=lambda s: s.rank(hint), reverse=True)
    best = scores[0]
    if best.ok:
        load_layout(best.layout.system, best.layout.entity)  # validated before it is used
        return _with_header(best, header)
    # No heading row? Sage can export without one: match by column count.
    if best.share < 0.2:
        found = _headerless(layouts, len(head[0]), hint)
        if found:
            load_layout(found.system, found.entity)
            return found
    message = _no_match_message(table.path, header, scores[:3])
    widths = sorted({len(c) for lay in layouts if lay.system == "sage50" for c in lay.column_sets().values()})
    if entity is not None and widths:
        message += (
            f"\nWithout a heading row, a Sage 50 {entity} export is recognised by its column count "
            f"({', '.join(map(str, widths))} columns are known); this one has {len(header)}."
        )
    raise DetectionError(message)


def _with_header(score: _Score, header: list[str]) -> Detection:
    layout = score.layout
    issues: list[Issue] = []
    slots = [f.name for f in layout.fields if f.custom and f.name not in score.matched.values()]
    columns: list[str] = []
    custom: dict[str, str] = {}
    taken = set(score.matched.values())
    unknown: list[str] = []
    for pos, cell in enumerate(header):
        if pos in score.matched:
            columns.append(score.matched[pos])
            continue
        label = cell or f"Column {pos + 1}"
        while label in columns or label in taken:
            label = f"{label} ({pos + 1})"
        if slots and cell:
            custom[label] = slots.pop(0)
        else:
            unknown.append(label)
        columns.append(label)
    if custom:
        issues.append(
            Issue(
                1,
                None,
                "custom-fields",
                "Custom-field columns kept under the company's labels: "
                + ", ".join(f"{k!r} ({v})" for k, v in custom.items())
                + ". Map them by label in a site template to carry them over.",
                "info",
            )
        )
    if unknown:
        issues.append(
            Issue(
                1,
                None,
                "unknown-column",
                f"Columns not in the {layout.title} layout are left out of the output: "
                + ", ".join(repr(u) for u in unknown)
                + ". Add them as column aliases in a site template if they should be mapped.",
                "info",
            )
        )
    return Detection(layout, True, columns, list(header), None, custom, issues)


def _headerless(layouts: list[Layout], width: int, hint: str) -> Detection | None:
    sage = [lay for lay in layouts if lay.system == "sage50"]
    found = [
        (lay, variant, cols)
        for lay in sage
        for variant, cols in lay.column_sets().items()
        if len(cols) == width
    ]
    if len(found) > 1:
        by_name = [f for f in found if f[0].file_name.casefold() == hint]
        found = by_name or found
    if len(found) > 1:
        names = "; ".join(f"{lay.name} ({variant}, Sage's name {lay.file_name})" for lay, variant, _ in found)
        raise DetectionError(
            f"The file has no heading row and its {width} columns fit more than one layout: {names}. "
            "Pass --entity to say which, give the file Sage's own name, or export it again with "
            "'Include Headings' ticked."
        )
    if not found:
        return None
    layout, variant, cols = found[0]
    message = (
        f"The file has no heading row; its {width} columns were matched to the Sage 50 "
        f"{layout.title} layout ({variant}) by position. Check a few rows in the review before "
        "loading, or export with 'Include Headings' ticked."
    )
    return Detection(
        layout,
        False,
        list(cols),
        list(cols),
        variant,
        {},
        [Issue(None, None, "headerless", message, "warning")],
    )


def _no_match_message(path: Path, header: list[str], closest: list[_Score]) -> str:
    shown = ", ".join(repr(h) for h in header[:12]) + (" …" if len(header) > 12 else "")
    lines = [
        f"{path.name} matches no known layout. Its first row has {len(header)} columns: {shown}.",
        "Closest layouts:",
    ]
    for s in closest:
        need = s.missing_required or [f.name for f in s.layout.fields if f.name not in s.matched.values()][:5]
        lines.append(
            f"  - {s.layout.system} {s.layout.entity} ({s.layout.file_name}): "
            f"{len(s.matched)} of the columns match; it would need {', '.join(repr(n) for n in need)}"
        )
    lines.append(
        "Check that the file is an export of a supported entity with its heading row, or pass "
        "--entity; a site whose columns are named differently adds aliases in a mapping template."
    )
    return "\n".join(lines)
