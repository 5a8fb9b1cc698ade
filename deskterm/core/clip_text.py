"""Feed text made safe and short: one line of plain text from HTML, control characters
and terminal escapes removed, cut with an ellipsis.

Standard library only: the fetch pipeline (its parser processes and ``deskterm fetch``)
imports it without SQLAlchemy.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Markup beyond this many characters is not parsed (html.parser slows down on huge
#: malformed input); the text is cut there and marked with "…".
MAX_MARKUP = 400_000
ELLIPSIS = "…"

_SKIP_CONTENT = frozenset({"script", "style", "template", "head", "noscript"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr",
        "ul",
    }
)  # fmt: skip

# Terminal escape sequences (CSI, OSC, other ESC sequences, 8-bit CSI/OSC): removed
# whole, so that "\x1b[31m" leaves nothing behind rather than "[31m".
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)

_SECTION_CLOSE = re.compile(r"\]\s*>")  # what ends a marked section (<![CDATA[ ... ]]>)


def _control_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        table[code] = " " if chr(code).isspace() else None
    for code in (0x2028, 0x2029):  # line and paragraph separators
        table[code] = " "
    # bidirectional embeddings, overrides and isolates (they can disguise text), BOM
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]:
        table[code] = None
    return table


_CONTROLS = _control_table()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _defuse_unclosed(markup: str) -> str:
    """Escape openers that can never close (html.parser rescans those: quadratic time).

    Past the last ``>`` no ``<`` can start a tag, past the last ``-->`` no ``<!--`` can
    start a comment, past the last ``]>`` no ``<![`` can start a marked section;
    html.parser would emit them as text anyway, so escaping them gives the same text in
    linear time.
    """
    last_gt = markup.rfind(">")
    if "<" in markup[last_gt + 1 :]:
        markup = markup[: last_gt + 1] + markup[last_gt + 1 :].replace("<", "&lt;")
    last_close = markup.rfind("-->")
    start = last_close + 3 if last_close >= 0 else 0
    if "<!--" in markup[start:]:
        markup = markup[:start] + markup[start:].replace("<!--", "&lt;!--")
    start = 0
    for start_match in _SECTION_CLOSE.finditer(markup):
        start = start_match.end()
    if "<![" in markup[start:]:
        markup = markup[:start] + markup[start:].replace("<![", "&lt;![")
    return markup


def clean_line(text: str) -> str:
    """Text without terminal escapes or control characters, whitespace collapsed to one line."""
    if text.isprintable():
        # No control, format or separator character but the space: nothing to remove (every
        # escape sequence starts with one, every character _CONTROLS maps is one), and
        # split() only splits at spaces. Most feed text takes this path.
        return " ".join(text.split())
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPE_SEQUENCE.sub("", text)
    return " ".join(text.translate(_CONTROLS).split())


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" (at a word break if one is near)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= (limit - 1) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def plain_text(html_or_text: str, *, limit: int | None = None) -> str:
    """One line of plain text from HTML or text: tags dropped (script/style content too),
    entities decoded, terminal escapes and control characters removed, whitespace
    collapsed, cut to ``limit`` characters with "…".

    Square brackets and anything else that is text stays as it is: callers that render
    with markup must escape it.
    """
    if not html_or_text:
        return ""
    markup = html_or_text
    clipped = len(markup) > MAX_MARKUP
    if clipped:
        markup = markup[:MAX_MARKUP]
    parser = _TextExtractor()
    parser.feed(_defuse_unclosed(markup))
    parser.close()
    text = clean_line("".join(parser.parts))
    if limit is not None:
        text = truncate(text, limit)
    if clipped and not text.endswith(ELLIPSIS):
        text += ELLIPSIS
    return text
