"""Allow ``python -m pji_risk estimate`` (same behaviour as ``pji-risk``)."""

import sys

from pji_risk.cli import main

sys.exit(main())
