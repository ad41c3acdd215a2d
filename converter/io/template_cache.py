"""Templates edited on disk while a converter runs: caches that notice.

Layouts, templates and schemas are cached once read. A running watcher must still see a template
edited on disk: every file read is remembered with its modification stamp, and
``refresh_if_changed`` (called before each file is converted) clears the registered caches when
one changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

_read: dict[Path, tuple[int, int] | None] = {}
_on_change: list[Callable[[], None]] = []


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def remember_read(path: Path) -> None:
    """Note that a cached value came from ``path`` as it is now."""
    _read[path] = _stamp(path)


def on_template_change(clear: Callable[[], None]) -> None:
    """Register a cache to clear when a template file read earlier changes."""
    _on_change.append(clear)


def refresh_if_changed() -> bool:
    """Clear every template cache if a file read earlier changed (or went) since; True if so.
    A few stat calls: cheap enough to run before every file."""
    if all(_stamp(path) == stamp for path, stamp in list(_read.items())):
        return False
    clear_all()
    return True


def clear_all() -> None:
    """Clear every template cache now (e.g. after pointing ``BIZOPS_SAGE50_TEMPLATES`` elsewhere)."""
    _read.clear()
    for clear in _on_change:
        clear()
