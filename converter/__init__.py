"""bizops-sage50: convert master data and transactions between BizOps and Sage 50 US.

The data flow is readable from the module names: ``reading`` → ``detection`` → ``layouts`` →
``validation`` → ``mapping`` → ``writing`` → ``batches``, orchestrated by ``pipeline`` and
driven by ``cli``.
"""

__version__ = "0.1.0"
