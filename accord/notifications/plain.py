"""The text part of an e-mail, from its HTML part: one template says both. Paragraphs
and headings become paragraphs, list items "- " lines, a quotation is indented, a link
reads "its text: its address" (the address alone when they are the same)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {"p", "h1", "h2", "h3", "ul", "ol", "blockquote", "div", "table", "tr", "dl"}
SKIPPED = {"style", "head", "title", "script"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.quote = 0
        self.skip = 0
        self.href: list[str | None] = []
        self.link_text = ""

    def _break(self, blank: bool = False) -> None:
        if self.line.strip():
            prefix = "> " * self.quote
            self.lines.append(prefix + re.sub(r"[ \t]+", " ", self.line).strip())
        self.line = ""
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        elif tag in BLOCKS or tag in {"dt", "dd"}:
            self._break(blank=tag in BLOCKS)
            if tag == "blockquote":
                self.quote += 1
        elif tag == "li":
            self._break()
            self.line = "- "
        elif tag == "br":
            self._break()
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip -= 1
        elif tag in BLOCKS:
            self._break(blank=True)
            if tag == "blockquote":
                self.quote -= 1
        elif tag in {"li", "dt", "dd"}:
            self._break()
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.strip() != self.link_text.strip():
                self.line += f": {href}"

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = data.replace("\n", " ")
        if self.href:
            self.link_text += text
        self.line += text

    def text(self) -> str:
        self._break()
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()
