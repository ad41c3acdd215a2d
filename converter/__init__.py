"""bizops-sage50: convert master data and transactions between BizOps and Sage 50 US.

The data flow is readable from the module names: ``reading`` → ``detection`` → ``layouts`` →
``validation`` → ``mapping`` → ``writing`` → ``batches``, orchestrated by ``pipeline`` and
driven by ``cli``.

For scripts: ``from converter import convert_file, validate_file`` (see ``converter.api``).
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["ConversionResult", "convert_file", "validate_file"]


def __getattr__(name: str) -> Any:  # loaded on first use: `import converter.issues` stays light
    if name in ("convert_file", "validate_file"):
        from . import api

        return getattr(api, name)
    if name == "ConversionResult":
        from .results import ConversionResult

        return ConversionResult
    raise AttributeError(f"module 'converter' has no attribute {name!r}")
