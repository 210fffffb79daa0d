"""``techfile pdf``'s pipeline: Sphinx's one-page HTML build, then WeasyPrint.

Sphinx runs in this process, through its API, with the project's own
conf.py and these overrides: the ``basic`` theme (the screen theme's
navigation, sidebars and options have no place on paper), no permalinks,
and the print stylesheet ``techfile-print.css`` (shipped in the package's
static folder, which techfile's extension adds to every build). The hook of
:mod:`techfile.pdf.doctree` repairs the links, measures the tables and puts
the title page and contents in front. WeasyPrint then lays the page out and
the PDF is written atomically.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sphinx.application import Sphinx

from techfile import provenance
from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.pdf import doctree, engine
from techfile.pdf.frontmatter import TitlePage, build_date, device_name
from techfile.project import Project

PRINT_CSS = "techfile-print.css"
BUILDER = "singlehtml"
HTML_FOLDER = Path("_build") / "pdf-html"
PDF_FOLDER = Path("_build") / "pdf"
OVERRIDES: dict[str, Any] = {
    "html_theme": "basic",
    "html_theme_options": {},
    "html_sidebars": {"**": []},
    "html_permalinks": False,
    "html_css_files": [PRINT_CSS],
    "html_js_files": [],
    "html_copy_source": False,
    "html_show_sourcelink": False,
}


@dataclass
class Result:
    pdf: Path
    html: Path
    pages: int
    title: TitlePage
    report: doctree.Report
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """A file name from a title: ``PJI-Risk technical file`` -> ``pji-risk-technical-file``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "technical-file"



def title_page(app: Sphinx, project: Project) -> TitlePage:
    """The title page's facts, from the build's configuration and :mod:`techfile.provenance`."""
    version = provenance.software_version(project.root, str(app.config.release or "") or None)
    commit = provenance.commit(project.root)
    date, source = build_date(project.root, commit)
    from techfile.sphinxext.signatures import release_signatures

    return TitlePage(device=device_name(str(app.config.project)), version=version, commit=commit, date=date, date_source=source, release=project.release, signatures=release_signatures(app))


def build(project: Project, output: Path | None = None, html_dir: Path | None = None, *, strict: bool = False, status: TextIO | None = None) -> Result:
    """Build the PDF of ``project``; :class:`TechfileError` when WeasyPrint is missing or the build fails."""
    weasyprint = engine.load_weasyprint()
    html_dir = html_dir or project.root / HTML_FOLDER
    seconds: dict[str, float] = {}
    report = doctree.Report()
    titles: list[TitlePage] = []

    def title(app: Sphinx) -> TitlePage:
        titles.append(title_page(app, project))
        return titles[-1]

    started = time.monotonic()
    app = _sphinx(project, html_dir, report, title, strict=strict, status=status)
    seconds["sphinx"] = time.monotonic() - started
    page = html_dir / f"{app.config.root_doc}.html"
    if not titles or not page.is_file():
        raise TechfileError(f"the {BUILDER} build wrote no {page.name} with the title page", path=html_dir, fix="see the messages of the Sphinx build above")
    output = output or project.root / PDF_FOLDER / f"{slug(str(app.config.project))}.pdf"

    started = time.monotonic()
    with _weasyprint_warnings() as warnings:
        document = engine.render(weasyprint, page, html_dir)
        data = engine.pdf_bytes(document)
    seconds["weasyprint"] = time.monotonic() - started
    write_atomic(output, data)
    return Result(output, page, len(document.pages), titles[-1], report, seconds, warnings)


def run_sphinx(
    project: Project,
    outdir: Path,
    doctreedir: Path,
    buildername: str,
    *,
    strict: bool,
    status: TextIO | None,
    purpose: str,
    nothing_written: str,
    confoverrides: dict[str, Any] | None = None,
    connect: Callable[[Sphinx], None] | None = None,
) -> Sphinx:
    """The project's Sphinx build in this process, with its own conf.py (``techfile pdf``, ``techfile release``).

    ``purpose`` names the build in a failure ("the Sphinx build of the PDF"),
    ``nothing_written`` what the failure leaves out ("no PDF written");
    ``connect`` hooks into the app before it builds."""
    from sphinx.errors import SphinxError
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    confdir = project.conf_dir("techfile pdf")
    try:
        with patch_docutils(confdir), docutils_namespace():
            app = Sphinx(
                srcdir=confdir,
                confdir=confdir,
                outdir=outdir,
                doctreedir=doctreedir,
                buildername=buildername,
                confoverrides=dict(confoverrides or {}),
                status=status,
                warning=sys.stderr,
                warningiserror=strict,
                keep_going=True,
            )
            if connect is not None:
                connect(app)
            app.build()
    except SphinxError as error:
        raise TechfileError(f"{purpose} failed: {error}", path=confdir / "conf.py", fix="fix what the message names; `make html` shows the same error") from error
    if app.statuscode:
        what = "warnings, which -W makes errors" if strict else "errors"
        raise TechfileError(f"{purpose} ended with {what}; {nothing_written}", path=confdir, fix="fix the messages above (`make html` shows the same)")
    return app


def _sphinx(project: Project, html_dir: Path, report: doctree.Report, title: Any, *, strict: bool, status: TextIO | None) -> Sphinx:
    return run_sphinx(
        project, html_dir, html_dir / ".doctrees", BUILDER, strict=strict, status=status,
        purpose="the Sphinx build of the PDF", nothing_written="no PDF written",
        confoverrides=OVERRIDES, connect=lambda app: doctree.connect(app, title, report),
    )


@contextlib.contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    """What WeasyPrint reports on its logger (CSS it ignores, an image it cannot load), for the summary."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
