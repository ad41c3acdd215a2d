"""Which way a file goes: its system is worked out from its heading row, and ``--to`` names the
system to convert into. A file already in the ``--to`` system is a clear mistake, said as such."""

from __future__ import annotations

from ..core.errors import DetectionError, UsageError
from ..io.detection import Detection, detect
from ..io.reading import TableFile

OTHER = {"sage50": "bizops", "bizops": "sage50"}
NAMES = {"sage50": "Sage 50", "bizops": "BizOps"}


def detect_for_target(
    table: TableFile, *, to: str | None, entity: str | None, site_columns: dict | None
) -> Detection:
    """``detect``, limited to the other system's layouts when ``--to`` is given; a file that is
    already a file of the ``--to`` system raises a ``UsageError`` saying so."""
    try:
        return detect(
            table, entity=entity, source_system=OTHER[to] if to else None, site_columns=site_columns
        )
    except DetectionError as exc:
        if to is None:
            raise
        try:
            found = detect(table, entity=entity, site_columns=site_columns)
        except DetectionError:
            raise exc from None
        if found.system != to:
            raise
        raise UsageError(
            f"{table.path.name} is already a {NAMES[to]} file ({found.entity}); --to {to} converts "
            f"{NAMES[OTHER[to]]} exports into {NAMES[to]} files. Leave out --to to convert it into "
            f"{NAMES[OTHER[to]]}."
        ) from None
