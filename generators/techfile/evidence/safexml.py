"""Parse untrusted XML safely, keeping the line of every element.

XML from CI is untrusted: defusedxml's SAX parser refuses entity
declarations (billion laughs, parameter-entity tricks) and external
references (XXE) before they are expanded or fetched. The tree it builds is
deliberately small: tag, attributes, text, children and line.
"""

from __future__ import annotations

import xml.sax
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.sax

from techfile.errors import TechfileError


class UnsafeXMLError(TechfileError):
    """The file tried to declare entities or reference external resources."""


@dataclass
class Element:
    tag: str
    attrib: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    _text: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self._text)

    def find_all(self, tag: str) -> list[Element]:
        return [child for child in self.children if child.tag == tag]

    def find(self, tag: str) -> Element | None:
        return next((child for child in self.children if child.tag == tag), None)


class _TreeBuilder(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.root: Element | None = None
        self._stack: list[Element] = []
        self._locator: xml.sax.xmlreader.Locator | None = None

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:
        self._locator = locator

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:
        line = (self._locator.getLineNumber() or 0) if self._locator else 0
        element = Element(name, dict(attrs.items()), line)
        if self._stack:
            self._stack[-1].children.append(element)
        else:
            self.root = element
        self._stack.append(element)

    def endElement(self, name: str) -> None:
        self._stack.pop()

    def characters(self, content: str) -> None:
        if self._stack:
            self._stack[-1]._text.append(content)


def parse(path: Path, shown: str | None = None) -> Element:
    """The root element of ``path``; :class:`TechfileError` names the file and line of any problem."""
    shown = shown or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TechfileError(f"cannot read: {exc.strerror}", path=shown, fix="run the tests first so they write the report, or give the report's path") from None
    if not data.strip():
        raise TechfileError("file is empty: not a JUnit XML report", path=shown, fix="check that the test run wrote its report")
    handler = _TreeBuilder()
    try:
        defusedxml.sax.parseString(data, handler, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        raise UnsafeXMLError(
            f"refused: the file declares the XML entity {exc.name!r} (entity expansion or external entity attack); JUnit reports never need entities",
            path=shown,
            fix="regenerate the report with the test runner; JUnit XML needs no DTD or entities",
        ) from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden) as exc:
        raise UnsafeXMLError(f"refused: the file references an external resource ({exc})", path=shown, fix="regenerate the report with the test runner; JUnit XML needs no DTD or entities") from None
    except xml.sax.SAXParseException as exc:
        raise TechfileError(
            f"not well-formed XML: {exc.getMessage()} (column {exc.getColumnNumber()})",
            path=shown,
            line=exc.getLineNumber(),
            fix="the report is truncated or corrupt; re-run the tests",
        ) from None
    assert handler.root is not None
    return handler.root
