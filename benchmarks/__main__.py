"""``python -m benchmarks`` (``make bench``): see the package docstring."""

from .main import main

raise SystemExit(main())
