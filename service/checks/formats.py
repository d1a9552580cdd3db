"""Format checks on a record's text: empty, truncated, encoding damage.

Row-level errors (unparseable, schema mismatch, undecodable bytes) come from the readers.
"""

from __future__ import annotations

import re

__all__ = ["text_error"]

# Mojibake: UTF-8 read as Latin-1/CP-1252 ("Ã©", "â€™"), the replacement character, or
# C0 control characters other than tab and newlines.
_DAMAGE = re.compile(
    r"\ufffd|Ã[\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u203a]|Â[\u00a0-\u00bf]|"
    r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*(?:\s|$)")
_TERMINAL = set(".!?\u3002\uff01\uff1f\"'\u201d\u2019)]}>`*:;\u2026") | set("0123456789")


def text_error(text: str) -> tuple[str, str] | None:
    """(kind, detail) when the text is empty, damaged or cut off; None when it looks whole.

    Truncation is flagged for prose only: text that has finished at least one sentence but
    stops without terminal punctuation, or leaves a code fence open. A one-line title or a
    label without any sentence end is not flagged.
    """
    stripped = text.strip()
    if not stripped:
        return ("empty", "empty text")
    damage = (_CONTROL if text.isascii() else _DAMAGE).search(text)
    if damage is not None:
        return ("encoding", f"encoding damage {damage.group()!r} at {damage.start()}")
    if stripped.count("```") % 2:
        return ("truncated", "unclosed code fence")
    if stripped[-1] not in _TERMINAL and _SENTENCE_END.search(stripped):
        return ("truncated", "ends mid-sentence")
    return None
