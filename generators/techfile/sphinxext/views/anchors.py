"""The anchors of the places in the computed views that links land on.

One scheme, used by the views that create the places and by every view
(and need card) that links to them:

* ``verdict-<TEST ID>``: the verdict row of a test specification
  (view ``test-verdicts``);
* ``verification-<REQUIREMENT ID>``: the row of a software requirement in
  the verification summary (view ``verification``);
* ``results-<TEST ID>``: the group of the results of a test specification
  on the test records (view ``test-records``); ``results-level-<level>``
  the group of a test level, ``results-without-specification`` the results
  no specification claims;
* ``<RESULT ID>``: a test result's own row on the test records, where
  sphinx-needs shows no card of it: the anchor sphinx-needs would give the
  card, so every link to the need lands on the row.

Need IDs keep their case; the rest is lower case, as docutils makes IDs.
"""

from __future__ import annotations

import re

VERDICTS_VIEW = "test-verdicts"
VERIFICATION_VIEW = "verification"
RECORDS_VIEW = "test-records"
WITHOUT_SPECIFICATION = "results-without-specification"


def _safe(text: str) -> str:
    """A value as part of an anchor: letters, digits, ``_`` and ``-`` (an ID stays as it is)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "none"


def verdict(spec_id: str) -> str:
    return f"verdict-{_safe(spec_id)}"


def verification(requirement_id: str) -> str:
    return f"verification-{_safe(requirement_id)}"


def results(spec_id: str) -> str:
    return f"results-{_safe(spec_id)}"


def results_level(level: str) -> str:
    return f"results-level-{_safe(level).lower()}"
