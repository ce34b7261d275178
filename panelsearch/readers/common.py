"""What every reader shares: reading text files, speaker tags, joining wrapped lines, splitting
a question's answers by speaker, titles from file names, and the warnings a reader may give.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Answer
from ..text import clean_text

SPEAKER_RE = re.compile(r"(?<!\S)([A-Z]{2,4}):(?=\s|$)")
SPACE_RE = re.compile(r"\s+")

# Capitals-and-a-colon that are usually a note or an acronym, not a speaker's initials: a tag such
# as "NB:" inside an answer starts a new "answer" by "NB", which is worth a warning.
ABBREVIATIONS = frozenset({"NB", "PS", "PPS", "FYI", "NOTE", "FAQ", "FAQS", "ASAP", "TBC", "TBD", "ETA", "AKA",
                           "NHS", "QI", "PDSA", "CQC", "NICE", "GP", "PPE", "ICU", "UK", "USA", "CEO"})


def read_text(path: Path) -> str:
    """Read a file as UTF-8, naming the line where it is not."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ParseError(path.name, line, f"text is not UTF-8 (byte 0x{data[err.start]:02x}); save the file as UTF-8") from None
    return clean_text(text)


def shorten(text: str, n: int = 40) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis: for quoting in messages."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def too_many_questions(name: str, line: int) -> ParseError:
    return ParseError(name, line, f"more than {config.MAX_QUESTIONS:,} questions: a document may hold at most "
                                  f"{config.MAX_QUESTIONS:,}; split it into several files")


def speaker_warnings(questions) -> list[str]:
    """A warning for each abbreviation read as a speaker tag ('NB:', 'PDSA:'), at its first line."""
    seen: dict[str, list[int]] = {}
    for q in questions:
        for a in q.answers:
            if a.speaker in ABBREVIATIONS:
                seen.setdefault(a.speaker, []).append(a.line)
    out = []
    for tag, lines in seen.items():
        more = f" (and {len(lines) - 1} more time{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else ""
        out.append(f"line {lines[0]}: '{tag}:' was read as a speaker tag{more}; if it is not a speaker, "
                   f"write '{tag}' without the colon so its text stays in the answer before it")
    return out


def cap_warnings(warnings: list[str]) -> tuple[str, ...]:
    """At most config.MAX_WARNINGS lines: a hostile file could otherwise carry thousands."""
    if len(warnings) <= config.MAX_WARNINGS:
        return tuple(warnings)
    kept = config.MAX_WARNINGS - 1
    return tuple(warnings[:kept]) + (f"... and {len(warnings) - kept} more warnings",)


def join_lines(pieces: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """Join (line_no, text) pieces into one string; also return (offset, line_no) marks.

    A piece ending in a hyphen right after a word joins the next with no space, keeping the
    hyphen: ``co-`` + ``production`` -> ``co-production``, and split URLs come back whole.
    """
    out: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    glue = ""
    for line_no, raw in pieces:
        text = SPACE_RE.sub(" ", raw).strip()
        if not text:
            continue
        if out:
            out.append(glue)
            length += len(glue)
        marks.append((length, line_no))
        out.append(text)
        length += len(text)
        glue = "" if len(text) >= 2 and text.endswith("-") and not text[-2].isspace() else " "
    return "".join(out), marks


def line_at(marks: list[tuple[int, int]], offset: int) -> int:
    """The source line of ``offset`` in the joined text; marks are sorted by offset.

    A binary search, not a scan: a long answer with a tag on every line would otherwise make
    parsing quadratic (a 1 MB file took minutes).
    """
    if not marks:
        return 0
    i = bisect_right(marks, (offset, float("inf"))) - 1
    return marks[max(i, 0)][1]


# The value is the rest of the line, stripped in Python: "(.*?)\s*$" was quadratic on a value
# followed by thousands of spaces. Every pattern here is linear on any input (tests/test_hardening_readers.py).
FIELD_RE = re.compile(r"^\s*(?:\*\*|__)?(title|date|event)(?:\*\*|__)?\s*:(?:\*\*|__)?(.*)", re.IGNORECASE)


def field(line: str) -> tuple[str, str] | None:
    """``Date: 17 June 2021`` -> ("date", "17 June 2021"); None for a line that is no such field."""
    m = FIELD_RE.match(line)
    return (m.group(1).lower(), m.group(2).strip()) if m else None


def title_from_stem(stem: str) -> str:
    """A title from a file name when the document gives none: ``panel-q-and-a`` -> ``panel q and a``."""
    return stem.replace("-", " ").replace("_", " ").strip() or stem


def speaker_answers(name: str, number: int, text: str, line_of, where: str = "") -> tuple[str, list[Answer]]:
    """(the text before the first speaker tag, the answers after each tag) of one question's text.

    ``line_of(offset)`` gives the source line of a tag; ``where`` ("table 1, row 3: ") starts a
    message. A tag with no answer after it raises ParseError; callers check the rest.
    """
    tags = list(SPEAKER_RE.finditer(text))
    answers = []
    for i, tag in enumerate(tags):
        body = text[tag.end():tags[i + 1].start() if i + 1 < len(tags) else len(text)].strip()
        line = line_of(tag.start())
        if not body:
            raise ParseError(name, line, f"{where}question {number}: speaker tag '{tag.group(1)}:' has no answer "
                                         "text after it")
        answers.append(Answer(speaker=tag.group(1), text=body, line=line))
    return (text[:tags[0].start()] if tags else text).strip(), answers
