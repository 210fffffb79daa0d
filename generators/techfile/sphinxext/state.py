"""Typed access to what the extension keeps during a build.

Two kinds of data, kept where Sphinx expects them:

* :class:`BuildState`, on the application: the project and declarations
  loaded at ``config-inited`` and the one evaluation of the rules made at
  ``write-started``. Every view and the findings report read it, so pages
  and CI output never disagree.
* :class:`EnvData`, on the environment (pickled between incremental builds,
  purged and merged per document for parallel reads): which documents hold
  computed views, and where ``techfile-evidence`` imports evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

if TYPE_CHECKING:
    from techfile.checks.engine import Evaluation
    from techfile.checks.findings import Finding
    from techfile.checks.run import Declarations
    from techfile.corpus import Corpus, Need
    from techfile.model.needmodel import NeedModel
    from techfile.project import Project


@dataclass(frozen=True)
class Message:
    """A message found at ``config-inited``, logged once the environment exists.

    Sphinx resolves a message's location through the environment, which
    ``config-inited`` comes before; so these wait for ``builder-inited``.
    """

    error: bool
    text: str
    subtype: str
    location: str | None


@dataclass
class BuildState:
    project: Project | None = None
    model: NeedModel | None = None
    declarations: Declarations | None = None
    reader: Corpus | None = None
    """The needs as techfile check reads the same sources, for the parity check."""
    corpus: Corpus | None = None
    evaluation: Evaluation | None = None
    pending: list[Message] = field(default_factory=list)
    """Messages of ``config-inited``, logged at ``builder-inited``."""
    views: dict[tuple[str, int], Any] = field(default_factory=dict)
    """(document, index of the view on it) -> the view's blocks, computed once a build (:mod:`~techfile.sphinxext.freshness`)."""
    cards: dict[str, Any] = field(default_factory=dict)
    """Need ID -> the blocks under its card, computed once a build."""
    signatures: dict[str, str] | None = None
    """Document -> what its computed parts show in this build, written next to the output once it is written."""


def build_state(app: Sphinx) -> BuildState:
    state: BuildState | None = getattr(app, "_techfile_state", None)
    if state is None:
        state = BuildState()
        app._techfile_state = state  # type: ignore[attr-defined]
    return state


@dataclass(frozen=True)
class Evaluated:
    """What views read: one build's project, declarations, corpus and evaluation."""

    project: Project
    declarations: Declarations
    corpus: Corpus
    evaluation: Evaluation

    @property
    def findings(self) -> list[Finding]:
        return self.evaluation.findings

    @property
    def release(self) -> Need | None:
        return self.evaluation.release

    def flagged(self, rule_id: str) -> set[str]:
        """Needs with a finding (open or accepted) of a rule."""
        return {f.need_id for f in self.findings if f.rule.id == rule_id and f.need_id}


def evaluated(app: Sphinx) -> Evaluated | None:
    state = build_state(app)
    if state.project is None or state.declarations is None or state.corpus is None or state.evaluation is None:
        return None
    return Evaluated(state.project, state.declarations, state.corpus, state.evaluation)


@dataclass(frozen=True)
class EvidencePlace:
    lineno: int
    file: str
    """The evidence file, relative to the project root."""
    found: bool


@dataclass
class _EnvStore:
    view_docs: set[str] = field(default_factory=set)
    evidence: dict[str, list[EvidencePlace]] = field(default_factory=dict)
    view_kinds: dict[str, set[str]] = field(default_factory=dict)
    """Per document, the names of the views it shows (where a link to a verdict row goes)."""
    view_specs: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = field(default_factory=dict)
    """Per document, its views in order: (name, options)."""
    need_refs: dict[str, set[str]] = field(default_factory=dict)
    """Per document, the needs its ``{need}`` references name (their titles are shown)."""
    filter_docs: set[str] = field(default_factory=set)
    """Documents with sphinx-needs' computed directives (needtable, needflow, needpie, ...): they show any need."""


class EnvData:
    """The extension's data on the build environment."""

    def __init__(self, env: BuildEnvironment) -> None:
        store: _EnvStore | None = getattr(env, "techfile_data", None)
        if store is None:
            store = _EnvStore()
            env.techfile_data = store  # type: ignore[attr-defined]
        self._store = store

    @property
    def view_docs(self) -> set[str]:
        return self._store.view_docs

    @property
    def evidence(self) -> dict[str, list[EvidencePlace]]:
        return self._store.evidence

    @property
    def view_kinds(self) -> dict[str, set[str]]:
        return self._store.view_kinds

    def view_doc(self, kind: str) -> str | None:
        """The document that shows the view ``kind`` (the first by name when several do)."""
        return min((doc for doc, kinds in self._store.view_kinds.items() if kind in kinds), default=None)

    @property
    def view_specs(self) -> dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]]:
        store = self._store.__dict__.setdefault("view_specs", {})  # an environment pickled by an older techfile lacks it
        return store  # type: ignore[no-any-return]

    @property
    def need_refs(self) -> dict[str, set[str]]:
        return self._store.__dict__.setdefault("need_refs", {})  # type: ignore[no-any-return]

    @property
    def filter_docs(self) -> set[str]:
        return self._store.__dict__.setdefault("filter_docs", set())  # type: ignore[no-any-return]

    def purge(self, docname: str) -> None:
        self._store.view_docs.discard(docname)
        self._store.evidence.pop(docname, None)
        self._store.view_kinds.pop(docname, None)
        self.view_specs.pop(docname, None)
        self.need_refs.pop(docname, None)
        self.filter_docs.discard(docname)

    def merge(self, docnames: set[str], other: EnvData) -> None:
        self._store.view_docs |= other.view_docs & docnames
        self.filter_docs.update(other.filter_docs & docnames)
        for docname in docnames:
            if docname in other.evidence:
                self._store.evidence[docname] = other.evidence[docname]
            if docname in other.view_kinds:
                self._store.view_kinds[docname] = other.view_kinds[docname]
            if docname in other.view_specs:
                self.view_specs[docname] = other.view_specs[docname]
            if docname in other.need_refs:
                self.need_refs[docname] = other.need_refs[docname]
