"""``techfile release``'s pipeline: gate, build, collect, manifest, sign, pack.

1. **Gate.** The sources are read as ``techfile check`` reads them, the
   release need with the asked version is found, and every rule is
   evaluated for it. An open gap stops the release before anything is built
   or written (:class:`Refused`).
2. **Build**, in this process, through Sphinx's API: the ``html`` builder
   with the project's conf.py (which also writes the workbook and
   ``techfile-findings.json``), then, unless skipped, the PDF
   (:func:`techfile.pdf.build.build`). Both run with ``SOURCE_DATE_EPOCH``
   set to the packet's build date, so every date they print is the one the
   manifest records.
3. **Collect** into a staging folder next to the target: ``html/``,
   ``pdf/``, ``needs.json`` (as ``techfile needs`` writes it), the findings
   report, and under ``evidence/`` (by their paths in the project) every
   evidence input: each evidence job's reports (``[[tool.techfile.junit]]``
   ``inputs``), every ``needs/generated/*.json`` and every job's output, the
   ``source_file`` each generated need names (a lock file, an SBOM), and
   the files given with ``--include`` (a requirements file).
4. **Manifest** (:mod:`~techfile.packet.manifest`), its signature
   (:mod:`~techfile.packet.signing`) with ``--sign-key``, and the archive
   (:mod:`~techfile.packet.archive`), renamed into place at the end. The
   staging folder is removed whatever happens; a refused or failed release
   leaves no packet, and a previous packet at the target stays as it was.

What makes two builds of the same commit byte-identical (measured on the
example: two HTML builds differed in exactly these):

* sphinx-needs gives each need's container a random ID
  (``"SNCB-" + str(uuid.uuid4())[:8]``, ``sphinx_needs/layout.py``), in the
  HTML and, through WeasyPrint's named destinations, in the PDF. During
  both builds its ``uuid4`` gives a sequence derived from a counter instead
  (:func:`stable_need_container_ids`); the documents are written one after
  another in sorted order, so the same sources get the same IDs. The
  collapse script only uses the ID as a key within the page.
* ``schema_violations.json`` (sphinx-needs' schema report) records the
  seconds the validation took: left out of the packet.
* ``.buildinfo`` (Sphinx's incremental-build stamp, a hash of the
  configuration), ``.techfile-pages.json`` (techfile's record of what each
  page showed when it was written, for the next incremental build) and the doctrees (``.doctrees``, pickles of the parsed
  sources, written outside the output here) describe the build cache, not
  the technical file: left out.
* File times, owners and order: the archive writer fixes them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from techfile import __version__, provenance
from techfile.errors import TechfileError
from techfile.packet import archive, signing
from techfile.packet.builddate import build_date, source_date_epoch, working_tree
from techfile.packet.evidence import evidence_inputs
from techfile.packet.gate import Refused, gate
from techfile.packet.manifest import MANIFEST, SIGNATURE, Manifest, tree_entries
from techfile.packet.sphinxbuild import build_html, remove_excluded, stable_need_container_ids
from techfile.project import Project
from techfile.readers import export

__all__ = ["Refused", "Result", "archive_name", "build", "target_path"]
FINDINGS = "techfile-findings.json"


@dataclass
class Result:
    archive: Path
    manifest: Manifest
    size: int
    signed: bool
    seconds: dict[str, float] = field(default_factory=dict)


def archive_name(project_title: str, version: str) -> str:
    """``PJI-Risk technical file`` and ``1.0.0`` -> ``pji-risk-1.0.0-technical-file.tar.gz``."""
    from techfile.pdf.build import slug
    from techfile.pdf.frontmatter import device_name

    safe_version = re.sub(r"[^A-Za-z0-9.+_-]+", "-", version).strip("-.") or "unversioned"
    return f"{slug(device_name(project_title))}-{safe_version}-technical-file{archive.SUFFIX}"


def target_path(output: Path | None, project: Project, name: str) -> Path:
    """``--output``: a ``.tar.gz`` file as given, else the folder to write the archive into (default ``_build/release``)."""
    if output is None:
        return project.root / "_build" / "release" / name
    if output.name.endswith((archive.SUFFIX, ".tgz")):
        return output
    return output / name


def project_title(project: Project) -> str:
    """conf.py's ``project``, read as Sphinx reads it, before any build: the archive's name."""
    from sphinx.config import Config
    from sphinx.util.tags import Tags


    config = Config.read(project.conf_dir("techfile pdf"), overrides={}, tags=Tags())
    return str(config.project)


def build(
    project: Project,
    version: str,
    *,
    output: Path | None = None,
    sign_key: Path | None = None,
    include: Sequence[Path] = (),
    pdf: bool = True,
    strict: bool = False,
    status: TextIO | None = None,
) -> Result:
    """Build the release packet of ``version`` (module docstring); :class:`Refused` on open gaps."""
    seconds: dict[str, float] = {}
    if pdf:
        from techfile.pdf import engine

        engine.load_weasyprint()  # before anything is built: the fix at once
    if sign_key is not None and not sign_key.is_file():
        raise TechfileError("no such signing key", path=sign_key, fix="give the SSH private key to sign with (ssh-keygen -t ed25519 makes one)")
    started = time.monotonic()
    project, corpus, release = gate(project, version)
    seconds["check"] = time.monotonic() - started
    commit = provenance.commit(project.root)
    date = build_date(project.root, commit)
    evidence = evidence_inputs(project, corpus, include)
    name = archive_name(project_title(project), version)
    target = target_path(output, project, name)
    top = name.removesuffix(archive.SUFFIX)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        from techfile.fileio import write_error

        raise write_error(target, error) from error
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.techfile-", dir=target.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="techfile-release-") as scratch, source_date_epoch(date.epoch):
            packet = staging / top
            started = time.monotonic()
            with stable_need_container_ids():
                app = build_html(project, packet / "html", Path(scratch, "doctrees"), strict=strict, status=status)
            remove_excluded(packet / "html")
            seconds["html"] = time.monotonic() - started
            if pdf:
                from techfile.pdf import build as pdf_build

                started = time.monotonic()
                pdf_file = packet / "pdf" / f"{pdf_build.slug(str(app.config.project))}.pdf"
                with stable_need_container_ids():
                    pdf_build.build(project, pdf_file, Path(scratch, "pdf-html"), strict=strict, status=status)
                seconds["pdf"] = time.monotonic() - started
            export.write(project, corpus, packet / "needs.json")
            findings = packet / "html" / FINDINGS
            if findings.is_file():
                shutil.copyfile(findings, packet / FINDINGS)
            for relative in evidence:
                copy = packet / "evidence" / relative
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(project.root / relative, copy)
            manifest = Manifest(
                release=release.id,
                version=version,
                commit=commit,
                software_version=provenance.software_version(project.root, str(app.config.release or "") or None),
                build_date=date.iso,
                source_date_epoch=date.epoch,
                build_date_source=date.source,
                techfile_version=__version__,
                files=tree_entries(packet),
                working_tree=working_tree(project.root),
            )
            data = manifest.to_bytes()
            (packet / MANIFEST).write_bytes(data)
            if sign_key is not None:
                (packet / SIGNATURE).write_bytes(signing.sign(data, sign_key))
            started = time.monotonic()
            archive.write_archive(packet, target, top, date.epoch)
            seconds["archive"] = time.monotonic() - started
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Result(target, manifest, target.stat().st_size, sign_key is not None, seconds)
