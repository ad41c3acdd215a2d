"""Atomic batches in the outbox: written in a hidden temporary folder, then renamed.

A batch folder (``outbox/to-sage50/20261125-141502-customers``) holds the import file(s),
``rejects.csv`` when rows were rejected, and ``manifest.json``. Nothing appears under its final
name until everything in it is written and flushed, so a reader never sees half a batch.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

TMP_PREFIX = ".tmp-"


class Batch:
    """A batch being written. Use as a context manager: commit on success, discard on error."""

    def __init__(
        self,
        outbox: Path,
        *,
        target_system: str,
        entity: str,
        now: dt.datetime | None = None,
        dry_run: bool = False,
    ) -> None:
        self.now = now or dt.datetime.now().astimezone()
        self.entity = entity
        self.final: Path | None = None
        if dry_run:
            # Checks only: write into a private scratch folder, never into the outbox.
            self.parent = Path(tempfile.mkdtemp(prefix="bizops-sage50-check-"))
            self.tmp = self.parent / "batch"
            self.tmp.mkdir()
            self._scratch: Path | None = self.parent
            return
        self._scratch = None
        self.parent = outbox / f"to-{target_system}"
        self.parent.mkdir(parents=True, exist_ok=True)
        # The PID lets the watcher's start-up recovery tell an orphan (its process gone) from work in hand.
        self.tmp = (
            self.parent
            / f"{TMP_PREFIX}{os.getpid()}-{self.now:%Y%m%d-%H%M%S}-{entity}-{uuid.uuid4().hex[:8]}"
        )
        self.tmp.mkdir()

    def path(self, name: str) -> Path:
        return self.tmp / name

    def commit(
        self,
        manifest: dict[str, Any],
        *,
        before_rename: Callable[[str, Path], None] | None = None,
        rename_failed: Callable[[str], None] | None = None,
    ) -> Path:
        """Write the manifest, flush, and rename the folder to its final, unique name.

        ``before_rename(name, final_path)`` runs just before the folder appears (the ledger stages
        the batch there); ``rename_failed(name)`` undoes it if the name was taken meanwhile.
        """
        base = f"{self.now:%Y%m%d-%H%M%S}-{self.entity}"
        for n in range(1, 1000):
            name = base if n == 1 else f"{base}-{n}"
            final = self.parent / name
            if final.exists():
                continue
            manifest = {**manifest, "batch": name}
            manifest["outputs"] = [str(final / Path(p).name) for p in manifest.get("outputs", [])]
            with (self.tmp / "manifest.json").open("w", encoding="utf-8") as fh:
                json.dump(manifest, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            if before_rename is not None:
                try:
                    before_rename(name, final)
                except FileExistsError:  # the name was reserved by another converter meanwhile
                    continue
            try:
                if final.exists():  # taken by another converter since the check above
                    raise FileExistsError(final)
                os.rename(self.tmp, final)
            except OSError:
                if rename_failed is not None:
                    rename_failed(name)
                if final.exists():
                    continue
                raise
            self.final = final
            return final
        raise FileExistsError(f"Too many batches named {base} in {self.parent}")

    def discard(self) -> None:
        shutil.rmtree(self._scratch or self.tmp, ignore_errors=True)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.final is None:
            self.discard()
