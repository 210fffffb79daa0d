"""How sphinx-needs displays needs in a technical file: the configuration
values techfile sets for it (unless conf.py does)."""

from __future__ import annotations

from typing import Any

from techfile.model.needmodel import NeedModel


def display_settings(model: NeedModel) -> dict[str, Any]:
    """sphinx-needs display configuration derived from the need model."""
    return {}
