"""Making untrusted text safe to show: one line, no control characters, bounded length."""

from __future__ import annotations

import re
import unicodedata

_BIDI_CONTROLS = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
# Anything visible() would change: C0/C1 controls, DEL, bidi controls, lone surrogates.
_NEEDS_CARE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def needs_care(text: str) -> bool:
    """True if ``visible`` would change ``text`` (one scan for many cells at once)."""
    return _NEEDS_CARE.search(text) is not None


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """Text with control characters made harmless for a terminal.

    Escape sequences, NUL, C1 controls and bidi overrides become visible ``\\xNN`` /
    ``\\uNNNN`` escapes so a hostile feed cannot move the cursor or recolour the screen;
    tabs and (unless kept) newlines become spaces.
    """
    text = str(text)
    if not _NEEDS_CARE.search(text):
        return text  # the common case: nothing to escape
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char in "\t\n\r\f\v":
            out.append(" ")
        elif code < 32 or 127 <= code < 160:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI_CONTROLS or unicodedata.category(char) == "Cs":
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def one_line(text: object, limit: int | None = None) -> str:
    """``visible`` text collapsed to one line, cut with an ellipsis past ``limit``."""
    line = " ".join(visible(text).split())
    if limit is not None and len(line) > limit:
        return line[: max(limit - 1, 0)] + "…"
    return line
