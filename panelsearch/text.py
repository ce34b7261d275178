"""Text at the door: one cleaning function for every reader, metadata field and export.

Whatever a document or a metadata file holds, what passes ``clean_text`` is safe to put in JSON,
in a Word file (XML 1.0), in a terminal and in the page: no C0 or C1 control characters but tab
and newline, no U+FFFE or U+FFFF, no lone surrogates, and NFC-normalised.
"""
from __future__ import annotations

import re
import unicodedata

# C0 controls but tab and newline, DEL, C1 controls: a space keeps the words they separated apart.
_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Not characters at all (U+FFFE, U+FFFF), lone surrogates, and invisible marks: dropped.
_DROPPED_RE = re.compile("[\ufffe\uffff\ud800-\udfff\u200b\ufeff]")


def clean_text(text: str) -> str:
    """``text`` with line ends as ``\\n``, controls as spaces, non-characters and lone surrogates
    dropped, in NFC. Linear in the length of ``text``; positions of lines are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DROPPED_RE.sub("", text)
    return unicodedata.normalize("NFC", _CONTROLS_RE.sub(" ", text))
