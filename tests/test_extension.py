"""The Sphinx extension configures the build itself: three extensions in
conf.py are enough, a value conf.py sets still wins, a broken declaration is
an error at its file and line, and a build that reads other files than
``techfile check`` says so."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

from miniproject import Mini, default
from sphinxbuild import MINIMAL_CONF, add_sphinx_files, sphinx_build


def sphinx_app(root: Path) -> tuple[Sphinx, str]:
    """A Sphinx application on ``root``, configured but not built, and what it logged.

    Made inside docutils_namespace, as sphinx-build does, so the directives and
    roles it registers do not outlive it in docutils' global registries.
    """
    log = io.StringIO()
    with docutils_namespace():
        app = Sphinx(str(root), str(root), str(root / "_build" / "dummy"), str(root / "_build" / "doctrees"), "dummy", status=None, warning=log, freshenv=True)
    return app, log.getvalue()


@pytest.fixture
def site(mini: Mini) -> Mini:
    add_sphinx_files(mini.root)
    mini.write_evidence()
    return mini


def test_three_extensions_configure_the_build(site: Mini) -> None:
    app, log = sphinx_app(site.root)
    types = {t["directive"]: t for t in app.config.needs_types}
    assert {"swreq", "hazard", "testspec", "result"} <= set(types)
    assert types["swreq"]["links"].keys() >= {"derives_from", "allocated_to", "implements"}
    assert app.config.root_doc == "docs/index"
    assert app.config.include_patterns == ["docs/**", "needs/**", "docs/index.md", "docs/index.rst"]
    assert app.config.needs_id_regex == "^[A-Z][A-Z0-9]*_[A-Z0-9_]+$"
    assert "colon_fence" in app.config.myst_enable_extensions
    assert "sn_schema_violation.field_fail" in app.config.suppress_warnings
    assert any(p.endswith("/data/static") for p in app.config.html_static_path)
    assert "WARNING" not in log


def test_a_value_set_in_conf_py_wins(site: Mini) -> None:
    (site.root / "conf.py").write_text(MINIMAL_CONF + 'needs_id_regex = "^[A-Z_0-9]+$"\nroot_doc = "docs/other"\nsuppress_warnings = ["techfile.R14"]\n')
    app, log = sphinx_app(site.root)
    assert app.config.needs_id_regex == "^[A-Z_0-9]+$"
    assert app.config.root_doc == "docs/other"
    assert app.config.suppress_warnings == ["techfile.R14", "sn_schema_violation.field_fail"]  # techfile's is added, not in place of yours
    assert "conf.py sets root_doc = 'docs/other'; techfile reads [tool.techfile] root_doc" in log and "[techfile.config]" in log


@pytest.mark.slow
def test_broken_need_model_is_an_error_at_its_line_not_a_crash(site: Mini) -> None:
    model = site.root / "need_model.toml"
    model.write_text('extends = "techfile:default"\n\n[types.swreq]\nfields = ["category", "colour"]\n')
    pyproject = site.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.techfile]\n", '[tool.techfile]\nneed_model = "need_model.toml"\n'))
    build = sphinx_build(site.root)
    assert build.status != 0
    assert "need_model.toml:4: ERROR: type 'swreq' lists unknown field 'colour' in fields" in build.output
    assert "[techfile.declaration]" in build.output
    assert "Traceback" not in build.output and "Exception occurred" not in build.output


@pytest.mark.slow
def test_a_build_that_reads_other_files_than_check_says_so(site: Mini) -> None:
    (site.root / "conf.py").write_text(MINIMAL_CONF.replace('exclude_patterns = ["_build"]', 'exclude_patterns = ["_build", "needs/risk.md"]'))
    (site.root / "docs" / "index.md").write_text((site.root / "docs" / "index.md").read_text() + "\n```{toctree}\n:glob:\n\n../needs/*\n```\n")
    build = sphinx_build(site.root)
    assert build.status != 0
    assert re.search(r"needs/risk.md:1: WARNING: techfile check reads this file, but this build does not .*\[techfile.config\]", build.output), build.output


def test_default_declarations_are_the_shipped_files() -> None:
    assert default("need_model").name == "need_model.toml" and default("need_model").is_file()


@pytest.mark.slow
def test_findings_link_to_a_catalogue_the_build_has(site: Mini) -> None:
    build = sphinx_build(site.root)
    assert "findings link to the rule catalogue 'docs/rules', which is not a document of this build" in build.output
    (site.root / "docs" / "rules.md").write_text("# Rules\n\n```{techfile-rules}\n```\n")
    (site.root / "docs" / "index.md").write_text((site.root / "docs" / "index.md").read_text() + "\n```{toctree}\n:glob:\n\nrules\n../needs/*\n```\n")
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
