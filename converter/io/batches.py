"""Atomic batches in the outbox: written in a hidden temporary folder, then renamed.

A batch folder (``outbox/to-sage50/20261125-141502-customers``) holds the import file(s),
``rejects.csv`` when rows were rejected, and ``manifest.json``. Nothing appears under its final
name until everything in it is written and flushed, so a reader never sees half a batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core.results import file_sha256
from .batch_names import TMP_PREFIX, name_taken

__all__ = ["TMP_PREFIX", "Batch", "batch_files", "batch_hash"]


class Batch:
    """A batch being written. Use as a context manager: published on success (``names``, ``seal``,
    ``publish``, driven by the pipeline), discarded on error."""

    def __init__(
        self,
        outbox: Path,
        *,
        target_system: str,
        entity: str,
        now: dt.datetime | None = None,
        dry_run: bool = False,
        stage: str | None = None,
    ) -> None:
        self.now = now or dt.datetime.now().astimezone()
        self.entity = entity
        self.final: Path | None = None
        self.manifest: dict[str, Any] = {}
        if dry_run:
            # Checks only: write into a private scratch folder, never into the outbox.
            self.parent = Path(tempfile.mkdtemp(prefix="bizops-sage50-check-"))
            self.tmp = self.parent / "batch"
            self.tmp.mkdir()
            self._scratch: Path | None = self.parent
            return
        self._scratch = None
        self.outbox = outbox
        # With the approval gate a batch lands in outbox/pending/to-<system>/ until approved.
        self.parent = (outbox / stage if stage else outbox) / f"to-{target_system}"
        self.parent.mkdir(parents=True, exist_ok=True)
        # The PID lets the watcher's start-up recovery tell an orphan (its process gone) from work in hand.
        self.tmp = (
            self.parent
            / f"{TMP_PREFIX}{os.getpid()}-{self.now:%Y%m%d-%H%M%S}-{entity}-{uuid.uuid4().hex[:8]}"
        )
        self.tmp.mkdir()

    def path(self, name: str) -> Path:
        return self.tmp / name

    def names(self) -> Iterator[tuple[str, Path]]:
        """Candidate final names, unique across the whole outbox: ``(name, final folder)``. The
        caller tries them in turn (another converter may take one meanwhile)."""
        base = f"{self.now:%Y%m%d-%H%M%S}-{self.entity}"
        for n in range(1, 1000):
            name = base if n == 1 else f"{base}-{n}"
            final = self.parent / name
            if not (final.exists() or name_taken(self.outbox, name)):
                yield name, final
        raise FileExistsError(f"Too many batches named {base} in {self.parent}")

    def seal(self, name: str, final: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write ``manifest.json`` for the batch as named ``name`` (every file's SHA-256 and
        ``batch_sha256`` over them, so an approval can prove the batch is what was reviewed),
        flushed to disk; returns the manifest written. Write every other file first."""
        files = batch_files(self.tmp)
        manifest = {**manifest, "batch": name, "files": files, "batch_sha256": batch_hash(files)}
        manifest["outputs"] = [str(final / Path(p).name) for p in manifest.get("outputs", [])]
        self.manifest = manifest
        text = json.dumps(manifest, indent=2, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: escaped, still valid JSON
            text = json.dumps(manifest, indent=2)
        with (self.tmp / "manifest.json").open("w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return manifest

    def publish(self, final: Path) -> Path:
        """Rename the folder to ``final``: the batch appears whole, at once. ``FileExistsError``
        when another converter took that name meanwhile (try the next name)."""
        if final.exists():
            raise FileExistsError(final)
        try:
            os.rename(self.tmp, final)
        except OSError:
            if final.exists():
                raise FileExistsError(final) from None
            raise
        self.final = final
        return final

    def discard(self) -> None:
        shutil.rmtree(self._scratch or self.tmp, ignore_errors=True)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.final is None:
            self.discard()


def batch_files(folder: Path) -> dict[str, str]:
    """SHA-256 of each file in a batch folder (the manifest aside), by name."""
    return {
        path.name: file_sha256(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != "manifest.json"
    }


def batch_hash(files: dict[str, str]) -> str:
    """One SHA-256 for a batch: over its files' names and hashes."""
    return hashlib.sha256("".join(f"{n}\0{h}\n" for n, h in sorted(files.items())).encode()).hexdigest()
