"""How sphinx-needs displays needs in a technical file: the configuration
values techfile sets for it (unless conf.py does).

* Need cards without the walls of back links that grow with the evidence:
  a test specification's "has result" lists every result, a requirement's
  "is verified by" mixes results with specifications. The layout
  ``techfile`` is sphinx-needs' ``clean`` layout without those two lists;
  techfile puts the verdict under each card instead
  (:func:`~techfile.sphinxext.render.add_card_summaries`), linked to its
  verdict row. It is the default layout, and it also stands in for
  ``clean``, so a conf.py that names ``clean`` (sphinx-needs' default) gets
  it too; a conf.py that sets ``needs_layouts`` itself keeps its own.
* Need references (``{need}`ID```) show the whole title, never
  "Overall residual risk evalu...".
"""

from __future__ import annotations

import json
from typing import Any

from techfile.model.needmodel import NeedModel
from techfile.model.roles import Relation

LAYOUT = "techfile"
HEAD = (
    '<<meta("type_name")>>: **<<meta("title")>>** <<meta_id()>>  <<collapse_button("meta", '
    'collapsed="icon:arrow-down-circle", visible="icon:arrow-right-circle", initial=False)>> '
)
"""The head line of sphinx-needs' ``clean`` layout."""


def hidden_back_links(model: NeedModel) -> list[str]:
    """The back-link lists a card leaves out: results of a test, and what verifies a need (results among them)."""
    names = [model.roles.link(Relation.RESULT_OF), model.roles.link(Relation.VERIFIES)]
    return [f"{name}_back" for name in names if name]


def card_layout(model: NeedModel) -> dict[str, Any]:
    """sphinx-needs' ``clean`` layout, without the back links of :func:`hidden_back_links`."""
    excluded = json.dumps(hidden_back_links(model))
    return {
        "grid": "simple",
        "layout": {
            "head": [HEAD],
            "meta": ["<<meta_all(no_links=True)>>", f"<<meta_links_all(exclude={excluded})>>"],
        },
    }


def display_settings(model: NeedModel) -> dict[str, Any]:
    """sphinx-needs display configuration derived from the need model."""
    layout = card_layout(model)
    return {
        "needs_layouts": {LAYOUT: layout, "clean": layout},
        "needs_default_layout": LAYOUT,
        "needs_role_need_max_title_length": -1,
    }
