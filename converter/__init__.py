"""bizops-sage50: convert master data and transactions between BizOps and Sage 50 US.

Subpackages by role, each importing only those after it: ``cli`` → ``admin`` → ``watch`` →
``pipeline`` (detect, read, map, check, sync, write) → ``review`` → ``sage50`` → ``sync`` →
``mapping`` → ``io`` → ``core`` (see the README's "Architecture" section).
"""

__version__ = "0.1.0"
