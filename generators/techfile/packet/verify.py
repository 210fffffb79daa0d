"""Compare a packet with its manifest: each file changed, missing or added.

The digests are computed again from what the packet holds (never taken from
anywhere else), and the manifest's own bytes are what the signature is
checked against, so a changed manifest fails the signature even when its
digests were made to match the changed files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from techfile.errors import TechfileError
from techfile.packet import signing
from techfile.packet.archive import Contents, read_packet
from techfile.packet.manifest import MANIFEST, SIGNATURE, Manifest, parse


@dataclass(frozen=True)
class Difference:
    path: str
    kind: str
    """``changed``, ``missing`` or ``added``."""
    detail: str

    def line(self) -> str:
        return f"{self.path}: {self.kind} ({self.detail})"


@dataclass
class Report:
    manifest: Manifest
    files: int
    differences: list[Difference] = field(default_factory=list)
    signature: signing.Verdict | None = None

    @property
    def intact(self) -> bool:
        return not self.differences and (self.signature is None or self.signature.good)


def differences(manifest: Manifest, contents: Contents) -> list[Difference]:
    """Every file whose bytes differ from the manifest's record, every listed file absent, every file not listed."""
    found: list[Difference] = []
    for path in sorted(set(manifest.files) | set(contents.files)):
        listed, present = manifest.files.get(path), contents.files.get(path)
        if listed is None and present is not None:
            found.append(Difference(path, "added", f"not in {MANIFEST}; {present.size} bytes"))
        elif present is None and listed is not None:
            found.append(Difference(path, "missing", f"{MANIFEST} lists {listed.size} bytes, sha256 {listed.sha256[:16]}…"))
        elif listed is not None and present is not None and listed != present:
            found.append(Difference(path, "changed", f"sha256 {present.sha256[:16]}… of {present.size} bytes, {MANIFEST} lists {listed.sha256[:16]}… of {listed.size} bytes"))
    return found


def verify_packet(path: Path, allowed_signers: Path | None = None, identity: str | None = None) -> Report:
    """Read the packet at ``path`` (archive or folder) and compare it; check the signature when ``allowed_signers`` is given."""
    contents = read_packet(path)
    if contents.manifest is None:
        raise TechfileError(
            f"not a techfile release packet: no {MANIFEST} at its top or in its one top folder",
            path=path,
            fix="give the .tar.gz that `techfile release --version X` wrote, or the folder it was unpacked into",
        )
    manifest = parse(contents.manifest, f"{path}:{MANIFEST}")
    report = Report(manifest, len(contents.files), differences(manifest, contents))
    if allowed_signers is not None:
        if identity is None:
            raise TechfileError("--allowed-signers needs --identity NAME: whose signature to expect", fix="add --identity with the signer's name as the allowed-signers file writes it")
        if contents.signature is None:
            report.signature = signing.Verdict(False, f"the packet has no {SIGNATURE}: it was not signed (techfile release --sign-key KEY signs it)")
        else:
            report.signature = signing.verify(contents.manifest, contents.signature, allowed_signers, identity)
    return report
