"""A draft's page body in its built page: the theme's navigation, which a
page built alone cannot know (its table of contents holds only itself),
stays as the full build last made it.

Sphinx's themes mark the page body ``role="main"`` (basic and alabaster's
``div.body``, furo's ``article``); the body is found by parsing, so nested
elements of the same name are counted right.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _MainFinder(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)
        self._tag: str | None = None
        self._depth = 0
        self.inner: tuple[int, int] | None = None
        self._start = 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.inner is not None:
            return
        if self._tag is None:
            if ("role", "main") in attrs:
                self._tag, self._depth = tag, 1
                self._start = self._offset() + len(self.get_starttag_text() or "")
        elif tag == self._tag:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._tag is None or self.inner is not None or tag != self._tag:
            return
        self._depth -= 1
        if self._depth == 0:
            self.inner = (self._start, self._offset())


def main_body(text: str) -> tuple[int, int] | None:
    """Where the inside of the page's ``role="main"`` element starts and ends, if it has one."""
    finder = _MainFinder(text)
    finder.feed(text)
    finder.close()
    return finder.inner


def splice(built: str, draft: str) -> str:
    """``built`` with the body of ``draft``; the draft as it is when either has no body to find."""
    ours, theirs = main_body(built), main_body(draft)
    if ours is None or theirs is None:
        return draft
    return built[: ours[0]] + draft[theirs[0] : theirs[1]] + built[ours[1] :]
