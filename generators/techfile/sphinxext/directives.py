"""The extension's directives: one per computed view, and
``techfile-evidence``, which imports every evidence file the project's
generators write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx_needs.directives.needimport import NeedimportDirective

from techfile.sphinxext.state import EnvData, EvidencePlace, build_state

logger = logging.getLogger(__name__)


class techfile_view(nodes.General, nodes.Element):
    """Placeholder for a computed view, filled in once the rules are evaluated."""


class ViewDirective(SphinxDirective):
    """``{techfile-<view>}``: a placeholder the evaluation fills in."""

    has_content = False
    optional_arguments = 0
    kind: ClassVar[str]

    def run(self) -> list[nodes.Node]:
        EnvData(self.env).view_docs.add(self.env.docname)
        node = techfile_view(kind=self.kind, options=dict(self.options))
        self.set_source_info(node)
        return [node]


def view_directive(kind: str, option_spec: dict[str, Any]) -> type[ViewDirective]:
    name = "Techfile" + kind.title().replace("-", "") + "Directive"
    return type(name, (ViewDirective,), {"kind": kind, "option_spec": option_spec})


class EvidenceDirective(SphinxDirective):
    """``{techfile-evidence}``: import every evidence file of the project.

    One ``needimport`` per file that the project's evidence jobs write
    (``[[tool.techfile.junit]]`` output, ...), so a new job needs no new
    page. A file not generated yet is recorded, and reported by rule N10 in
    the build and in ``techfile check`` alike.
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
        return out

    def _needimport(self, argument: str) -> list[nodes.Node]:
        directive = NeedimportDirective(
            "needimport", [argument], {}, StringList(), self.lineno, self.content_offset, self.block_text, self.state, self.state_machine
        )
        return list(directive.run())
