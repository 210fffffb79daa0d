"""The title page and table of contents of the PDF, and what they say.

The title page names the device, the document, the version, the commit
and the date of the technical file, and, under "Signatures", the approvals
of the release under evaluation (printed name, role, meaning, date and
whether the release's document is still what was signed). The version and the commit come from
:mod:`techfile.provenance` (an explicit value, then the CI's variables, then
git); the date follows the reproducible-builds rule: ``SOURCE_DATE_EPOCH``
when set, else the date of the commit, else today. The page numbers of the
table of contents are WeasyPrint's (``target-counter`` in the print
stylesheet); the text here is HTML, every value escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from techfile.errors import TechfileError
from techfile.provenance import UNKNOWN

DOCUMENT = "Technical file"
_SUFFIX = re.compile(r"\s*[-—–:]?\s*technical\s+file\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Signature:
    """One approval of the release, as the title page's "Signatures" block prints it (21 CFR 11.50)."""

    approver: str
    approver_role: str
    meaning: str
    date: str
    status: str
    """``current``, or ``superseded: document changed since`` (:mod:`techfile.sphinxext.signatures`)."""


@dataclass(frozen=True)
class TitlePage:
    device: str
    version: str
    commit: str
    date: str
    date_source: str
    """Where the date comes from: ``SOURCE_DATE_EPOCH``, ``commit`` or ``today``."""
    release: str | None = None
    document: str = DOCUMENT
    signatures: tuple[Signature, ...] = ()
    """The approvals of the release under evaluation, oldest first."""

    @property
    def short_commit(self) -> str:
        return self.commit[:12] if re.fullmatch(r"[0-9a-f]{13,}", self.commit) else self.commit


@dataclass(frozen=True)
class Heading:
    """One line of the table of contents: level 0 a group (a toctree's caption), 1 a document, 2 a section."""

    level: int
    title: str
    anchor: str


def device_name(project: str) -> str:
    """The device's name from Sphinx's ``project``: ``PJI-Risk technical file`` names the device PJI-Risk."""
    return _SUFFIX.sub("", project).strip() or project


def build_date(root: Path, commit: str, environ: Mapping[str, str] | None = None, today: Callable[[], dt.date] = dt.date.today) -> tuple[str, str]:
    """The date of the build as ``YYYY-MM-DD``, and where it comes from (module docstring)."""
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat(), "SOURCE_DATE_EPOCH"
        except (ValueError, OverflowError, OSError) as error:
            raise TechfileError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a time in seconds since 1970-01-01 UTC",
                fix="set it to an integer, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it",
            ) from error
    committed = _commit_date(root, commit)
    if committed:
        return committed, "commit"
    return today().isoformat(), "today"


def _commit_date(root: Path, commit: str) -> str | None:
    revision = commit if commit and commit != UNKNOWN else "HEAD"
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%cs", revision, "--"], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None


def css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe inside a ``<style>`` element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    return f'"{escaped}"'


def front_matter_html(title: TitlePage, headings: Sequence[Heading]) -> str:
    """The title page, the table of contents and the page furniture that names the file on every page."""
    e = html.escape
    facts = [("Version", title.version)]
    if title.release:
        facts.append(("Release record", title.release))
    facts += [("Commit", title.commit), ("Date", title.date)]
    rows = "".join(f'<dt>{e(name)}</dt><dd class="techfile-pdf-{e(name.lower().replace(" ", "-"))}">{e(value)}</dd>' for name, value in facts)
    signatures = ""
    if title.signatures:
        signed = "".join(f"<tr><td>{e(s.approver)}</td><td>{e(s.approver_role)}</td><td>{e(s.meaning)}</td><td>{e(s.date)}</td><td>{e(s.status)}</td></tr>" for s in title.signatures)
        signatures = (
            '<div class="techfile-pdf-signatures">\n<p class="techfile-pdf-signatures-title">Signatures</p>\n'
            "<table><thead><tr><th>Printed name</th><th>Role</th><th>Meaning</th><th>Date</th><th>Status</th></tr></thead>"
            f"<tbody>{signed}</tbody></table>\n</div>\n"
        )
    running = f"{title.device} {title.document} · version {title.version} · commit {title.short_commit} · {title.date}"
    items = []
    for heading in headings:
        if heading.level == 0:
            items.append(f'<li class="techfile-pdf-toc-group">{e(heading.title)}</li>')
        else:
            items.append(f'<li class="techfile-pdf-toc-{heading.level}"><a href="#{e(heading.anchor)}">{e(heading.title)}</a></li>')
    return (
        f"<style>@page {{ @bottom-left {{ content: {css_string(running)}; }} }}</style>\n"
        '<div class="techfile-pdf-title">\n'
        f'<p class="techfile-pdf-device">{e(title.device)}</p>\n'
        f'<p class="techfile-pdf-name">{e(title.document)}</p>\n'
        f'<dl class="techfile-pdf-facts">{rows}</dl>\n'
        f"{signatures}"
        "</div>\n"
        '<nav class="techfile-pdf-toc">\n<p class="techfile-pdf-toc-title">Contents</p>\n'
        f"<ul>{''.join(items)}</ul>\n</nav>\n"
    )
