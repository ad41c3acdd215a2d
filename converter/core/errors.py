"""Problems that stop the work: one small exception tree.

Dirty data is *not* an exception (see ``issues``). These are raised when a file cannot be
read at all, a template or setting is broken, or the command line asks for the impossible.
The CLI prints ``Error: <message>`` once and exits 1 (2 for ``UsageError``).
"""

from __future__ import annotations


class ConverterError(Exception):
    """Base of every error that stops a conversion. The message names the fix."""


class UsageError(ConverterError):
    """The command line asked for something impossible (exit code 2)."""


class ConfigError(ConverterError):
    """The config file is unreadable or lacks a setting; the message names the config key."""


class InvalidConfig(ConfigError):
    """The config file cannot be used as it is (missing, not TOML, an unknown key, a wrong type):
    a usage error (exit 2), raised before any work starts; the message lists every problem."""


class TemplateError(ConverterError):
    """A layout or mapping template is invalid; the message gives the JSON path."""


class ReadError(ConverterError):
    """A file cannot be read: not text, wrong encoding, not a spreadsheet."""


class LimitError(ReadError):
    """A file goes past a resource limit (``[limits]`` in the config): refused before it exhausts
    memory. ``key`` is the config key that raises the limit; ``row`` and ``column`` (1-based) say
    where it was hit, when it was hit inside the file."""

    def __init__(self, message: str, *, key: str, row: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.key, self.row, self.column = key, row, column


class DetectionError(ConverterError):
    """A file matches no known layout; the message names the closest ones."""


class ControlTotalsError(ConverterError):
    """A batch's control totals in and out disagree: nothing is written."""
