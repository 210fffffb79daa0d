"""WeasyPrint, the HTML-to-PDF engine of ``techfile pdf``: found, or the fix named.

WeasyPrint is the optional dependency ``techfile[pdf]``; it lays text out
with the system's Pango (1.44 or later), which pip cannot install. Either
missing is bad input (exit 2) with the command that fixes it, found before
the Sphinx build so that nobody waits a minute for that message.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError

PIP_FIX = "pip install 'techfile[pdf]'"
APT_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core")
APT_FIX = f"sudo apt-get install {' '.join(APT_PACKAGES)}"
MODULE = "weasyprint"


def load_weasyprint() -> Any:
    """The ``weasyprint`` module; :class:`TechfileError` naming the fix when it or Pango is missing."""
    try:
        return importlib.import_module(MODULE)
    except ImportError as error:
        if _missing_library(error):
            raise _no_pango(error) from error
        raise TechfileError(
            f"techfile pdf needs WeasyPrint, which is not installed for {_python()} ({error})",
            fix=f"{PIP_FIX} (or `make setup`); WeasyPrint also needs Pango: {APT_FIX} on Debian and Ubuntu",
        ) from error
    except OSError as error:  # cffi cannot load libpango / libgobject
        raise _no_pango(error) from error


def _missing_library(error: BaseException) -> bool:
    """Whether an import failed on a shared library (some WeasyPrint versions raise ImportError for it)."""
    return bool(re.search(r"cannot load library|\.so(\.\d+)*\b|pango|gobject", str(error), re.IGNORECASE))


def _no_pango(error: BaseException) -> TechfileError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return TechfileError(
        f"WeasyPrint is installed but cannot load the Pango library it lays text out with (Pango 1.44 or later): {first}",
        fix=f"{APT_FIX} on Debian and Ubuntu (or `make setup`); on macOS: brew install pango",
    )


def _python() -> str:
    import sys

    return sys.executable or "this Python"


def render(weasyprint: Any, html: Path, base_url: Path) -> Any:
    """Lay out ``html`` (its links, images and stylesheets relative to ``base_url``): a WeasyPrint document."""
    return weasyprint.HTML(filename=str(html), base_url=base_url.as_uri() + "/", media_type="print").render()


def pdf_bytes(document: Any) -> bytes:
    data = document.write_pdf()
    if not isinstance(data, bytes):  # pragma: no cover - WeasyPrint returns bytes without a target
        raise TypeError(f"WeasyPrint returned {type(data).__name__}, not bytes")
    return data
