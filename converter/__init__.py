"""bizops-sage50: convert master data and transactions between BizOps and Sage 50 US.

Subpackages by role, each importing only those after it: ``cli`` → ``admin`` → ``watch`` →
``pipeline`` (detect, read, map, check, sync, write) → ``review`` → ``sage50`` → ``sync`` →
``mapping`` → ``io`` → ``core`` (see the README's "Architecture" section).

For scripts: ``from converter import convert_file, validate_file`` (see ``converter.pipeline.api``).
"""

from typing import Any

from .core.version import __version__

__all__ = ["ConversionResult", "__version__", "convert_file", "validate_file"]


def __getattr__(name: str) -> Any:  # loaded on first use: `import converter.issues` stays light
    if name in ("convert_file", "validate_file"):
        from .pipeline import api

        return getattr(api, name)
    if name == "ConversionResult":
        from .core.results import ConversionResult

        return ConversionResult
    raise AttributeError(f"module 'converter' has no attribute {name!r}")
