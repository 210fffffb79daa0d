"""``python -m techfile``: the same as the ``techfile`` console script."""

from techfile.cli import main

raise SystemExit(main())
