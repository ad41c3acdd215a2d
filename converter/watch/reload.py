"""Settings that follow the config file while the watcher runs.

The watcher asks for its settings before each scan of the inbox. When the config file has changed
since it was last read, it is read again: a good edit takes effect at once (no restart), a bad one
is logged with every problem and the last good settings are kept, so a typo never stops the site.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..core.errors import ConfigError
from ..core.settings import Settings, load_settings

log = logging.getLogger("bizops-sage50.config")


class SettingsReloader:
    """``reloader()`` returns the current settings, re-read from the file when it has changed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path: Path | None = settings.path
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def __call__(self) -> Settings:
        stamp = self._stat()
        if self.path is None or stamp == self._stamp:
            return self.settings
        self._stamp = stamp
        try:
            fresh = load_settings(self.path, cwd=self.settings.cwd)
        except ConfigError as exc:
            log.error(
                "%s was changed but cannot be used, so the last good settings stay in force. %s",
                self.path,
                exc,
            )
            return self.settings
        for key in ("paths.inbox", "paths.outbox"):
            if fresh.get(key) != self.settings.get(key):
                log.warning("`%s` changed in %s; restart the watcher for it to take effect", key, self.path)
        log.info("settings re-read from %s; they apply from the next file", self.path)
        self.settings = fresh
        return fresh
