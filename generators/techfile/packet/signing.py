"""Sign the manifest with an SSH key, and verify the signature: OpenSSH's
``ssh-keygen -Y sign`` / ``-Y verify`` (SSHSIG), namespace ``techfile-release``.

The signature is detached: ``MANIFEST.json.sig`` signs the manifest's bytes,
and the manifest lists every other file's digest, so one signature covers
the packet. It is not itself listed in the manifest (it could not be: it
signs it). An Ed25519 signature is deterministic, so a signed packet is as
reproducible as an unsigned one.

``ssh-keygen`` runs in a session of its own, without a terminal, so a key
with a passphrase fails at once instead of prompting in the middle of a
build; load such a key into ``ssh-agent`` and give its public key file
(``ssh-keygen`` then signs through the agent).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from techfile.errors import TechfileError

NAMESPACE = "techfile-release"
_TIMEOUT = 60


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise TechfileError("ssh-keygen is not installed: it makes and checks the packet's signature", fix="install OpenSSH's client tools (Debian: apt-get install openssh-client)")
    return found


def _run(arguments: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(arguments, input=data, capture_output=True, timeout=_TIMEOUT, check=False, start_new_session=True)


def _said(done: subprocess.CompletedProcess[bytes]) -> str:
    text = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
    return " ".join(text.split()) or f"exit status {done.returncode}"


def sign(data: bytes, key: Path) -> bytes:
    """The detached SSH signature of ``data`` by ``key`` (a private key, or the public key of one in ssh-agent)."""
    if not key.is_file():
        raise TechfileError("no such signing key", path=key, fix="give the SSH private key to sign with (ssh-keygen -t ed25519 makes one)")
    done = _run([_ssh_keygen(), "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE], data)
    if done.returncode != 0 or not done.stdout.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        raise TechfileError(
            f"ssh-keygen could not sign the manifest with this key: {_said(done)}",
            path=key,
            fix="give an SSH private key without a passphrase, or load the key into ssh-agent and give its .pub file",
        )
    return done.stdout


@dataclass(frozen=True)
class Verdict:
    good: bool
    message: str
    """ssh-keygen's own words: ``Good "techfile-release" signature for NAME with ED25519 key SHA256:...``, or why not."""


def verify(data: bytes, signature: bytes, allowed_signers: Path, identity: str) -> Verdict:
    """Whether ``signature`` is ``identity``'s signature of ``data``, by the keys ``allowed_signers`` lists."""
    if not allowed_signers.is_file():
        raise TechfileError(
            "no such allowed-signers file",
            path=allowed_signers,
            fix='write one line per signer: NAME namespaces="techfile-release" ssh-ed25519 AAAA... (see ssh-keygen(1), ALLOWED SIGNERS)',
        )
    with tempfile.TemporaryDirectory(prefix="techfile-verify-") as folder:
        signature_file = Path(folder, "MANIFEST.json.sig")
        signature_file.write_bytes(signature)
        done = _run([_ssh_keygen(), "-Y", "verify", "-f", str(allowed_signers), "-I", identity, "-n", NAMESPACE, "-s", str(signature_file)], data)
    return Verdict(done.returncode == 0, _said(done))
