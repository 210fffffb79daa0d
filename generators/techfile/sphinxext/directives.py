"""The extension's directives: one per computed view, and
``techfile-evidence``, which imports every evidence file the project's
generators write and shows the test records there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx_needs.directives.needimport import NeedimportDirective

from techfile.sphinxext.state import EnvData, EvidencePlace, build_state

logger = logging.getLogger(__name__)

RECORDS_VIEW = "test-records"
"""The view ``techfile-evidence`` shows where it imports: the results it imports hidden, as rows."""


class techfile_view(nodes.General, nodes.Element):
    """Placeholder for a computed view, filled in once the rules are evaluated."""


def _place_view(directive: SphinxDirective, kind: str, options: dict[str, Any]) -> techfile_view:
    """A view's placeholder, with the document noted as showing ``kind`` (where links to its places go)."""
    data = EnvData(directive.env)
    data.view_docs.add(directive.env.docname)
    data.view_kinds.setdefault(directive.env.docname, set()).add(kind)
    specs = data.view_specs.setdefault(directive.env.docname, [])
    node = techfile_view(kind=kind, options=options, index=len(specs))
    specs.append((kind, tuple(sorted((str(k), str(v)) for k, v in options.items()))))
    directive.set_source_info(node)
    return node


class ViewDirective(SphinxDirective):
    """``{techfile-<view>}``: a placeholder the evaluation fills in."""

    has_content = False
    optional_arguments = 0
    kind: ClassVar[str]

    def run(self) -> list[nodes.Node]:
        from techfile.sphinxext.views import VIEWS

        check = VIEWS[self.kind].check
        model = build_state(self.env.app).model
        if check is not None and model is not None:
            for problem in check(model, dict(self.options)):
                logger.warning(f"techfile-{self.kind}: {problem}", type="techfile", subtype="view", location=self.get_location())
        return [_place_view(self, self.kind, dict(self.options))]


def view_directive(kind: str, option_spec: dict[str, Any]) -> type[ViewDirective]:
    name = "Techfile" + kind.title().replace("-", "") + "Directive"
    return type(name, (ViewDirective,), {"kind": kind, "option_spec": option_spec})


class EvidenceDirective(SphinxDirective):
    """``{techfile-evidence}``: import every evidence file of the project, and show the test records.

    One ``needimport`` per file that the project's evidence jobs write
    (``[[tool.techfile.junit]]`` output, ...), so a new job needs no new
    page. A file not generated yet is recorded, and reported by rule N10 in
    the build and in ``techfile check`` alike.

    The needs are imported hidden: sphinx-needs renders no card of them
    (a card each made a page of hundreds of identical cards). In their
    place the view ``test-records`` lists them as compact rows grouped by
    level and test specification, each row with the need's ID as its
    anchor, so every link to a result lands on its row.
    """

    has_content = False
    optional_arguments = 0

    def run(self) -> list[nodes.Node]:
        from techfile.readers.sources import evidence_files

        project = build_state(self.env.app).project
        if project is None:
            return []
        places = EnvData(self.env).evidence.setdefault(self.env.docname, [])
        here = Path(self.env.doc2path(self.env.docname)).parent
        out: list[nodes.Node] = []
        for file in evidence_files(project):
            target = project.absolute(file)
            found = target.is_file()
            places.append(EvidencePlace(self.lineno, project.relative(target), found))
            # noted either way: a file generated later makes this page be read again
            self.env.note_dependency(str(target))
            if found:
                out.extend(self._needimport(os.path.relpath(target, here)))
        out.append(_place_view(self, RECORDS_VIEW, {}))
        return out

    def _needimport(self, argument: str) -> list[nodes.Node]:
        directive = NeedimportDirective(
            "needimport", [argument], {"hide": None}, StringList(), self.lineno, self.content_offset, self.block_text, self.state, self.state_machine
        )
        return list(directive.run())


def note_need_pages(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: a page with need cards shows verdicts under them (:func:`~techfile.sphinxext.render.add_card_summaries`),
    which change with every result: rebuild it every time, as a page with a view."""
    from sphinx_needs.nodes import Need

    if next(iter(doctree.findall(Need)), None) is not None:
        EnvData(app.env).view_docs.add(app.env.docname)


def setup(app: Sphinx) -> None:
    """Connect the handlers of the views that are not directives: the verdict lines under need cards."""
    from techfile.sphinxext.render import add_card_summaries

    app.connect("doctree-read", note_need_pages)
    # after sphinx-needs has rendered its cards (its handler runs at the default priority, 500)
    app.connect("doctree-resolved", add_card_summaries, priority=600)
