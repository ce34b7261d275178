"""Parse stage: text extracted from a Q&A table -> questions with speaker-attributed answers.

The format (the webinar seed is one example):
- a question starts at a line beginning with the next question number and a space;
  numbering is sequential, so "50 staff completed..." inside an answer is not a question;
- a speaker tag is 2-4 capital letters and a colon (``AC:``), anywhere in a line;
- lines are joined with one space, but a line ending in ``-`` joins the next with no space;
- repeated page headers (``# Question Answer``) are dropped.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from pathlib import Path

from .errors import ParseError
from .models import Answer, Document, Question

HEADER_RE = re.compile(r"^\s*#\s*question\s+answer\s*$", re.IGNORECASE)
QUESTION_RE = re.compile(r"^\s*(\d{1,4})\s+(\S.*)?$")
SPEAKER_RE = re.compile(r"(?<!\S)([A-Z]{2,4}):(?=\s|$)")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
SPACE_RE = re.compile(r"\s+")

EXPECTED = "expected numbered questions ('1 How do we...?') answered after speaker tags ('AC: ...')"


def read_text(path: Path) -> str:
    """Read a file as UTF-8, naming the line where it is not."""
    path = Path(path)
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ParseError(path.name, line, f"text is not UTF-8 (byte 0x{data[err.start]:02x}); save the file as UTF-8") from None


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


def _line_at(marks: list[tuple[int, int]], offset: int) -> int:
    """The source line of ``offset`` in the joined text; marks are sorted by offset.

    A binary search, not a scan: a long answer with a tag on every line would otherwise make
    parsing quadratic (a 1 MB file took minutes).
    """
    if not marks:
        return 0
    i = bisect_right(marks, (offset, float("inf"))) - 1
    return marks[max(i, 0)][1]


def parse_text(text: str, source: str = "<text>") -> Document:
    """Parse Q&A text into a Document. Raises ParseError naming ``source`` and a line."""
    name = Path(source).name
    stem = Path(source).stem
    text = CONTROL_RE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    if not text.strip():
        raise ParseError(name, 1, f"file is empty: {EXPECTED}")

    preamble: list[str] = []
    blocks: list[tuple[int, int, list[tuple[int, str]]]] = []  # (number, line, pieces)
    for line_no, line in enumerate(lines, start=1):
        if HEADER_RE.match(line):
            continue
        m = QUESTION_RE.match(line)
        if m and int(m.group(1)) == len(blocks) + 1:
            blocks.append((len(blocks) + 1, line_no, [(line_no, m.group(2) or "")]))
        elif blocks:
            blocks[-1][2].append((line_no, line))
        elif line.strip():
            preamble.append(line.strip())

    if not blocks:
        first = next(i for i, line in enumerate(lines, start=1) if line.strip())
        raise ParseError(name, first, f"no numbered question found: {EXPECTED}")

    questions = [_parse_block(name, number, line_no, pieces) for number, line_no, pieces in blocks]
    title = preamble[0].lstrip("# ").strip() if preamble else stem.replace("-", " ").replace("_", " ").strip()
    return Document(source=stem, title=title or stem, questions=tuple(questions), path=str(source))


def _parse_block(name: str, number: int, line_no: int, pieces: list[tuple[int, str]]) -> Question:
    joined, marks = join_lines(pieces)
    tags = list(SPEAKER_RE.finditer(joined))
    if not tags:
        raise ParseError(name, line_no, f"question {number} has no speaker-tagged answer: expected a tag such as 'AC:' before the answer")
    question = joined[: tags[0].start()].strip()
    if not question:
        raise ParseError(name, line_no, f"question {number} has no question text before its first speaker tag")
    answers = []
    for i, tag in enumerate(tags):
        end = tags[i + 1].start() if i + 1 < len(tags) else len(joined)
        body = joined[tag.end():end].strip()
        tag_line = _line_at(marks, tag.start())
        if not body:
            raise ParseError(name, tag_line, f"question {number}: speaker tag '{tag.group(1)}:' has no answer text after it")
        answers.append(Answer(speaker=tag.group(1), text=body, line=tag_line))
    return Question(number=number, text=question, answers=tuple(answers), line=line_no)


def parse_file(path: Path) -> Document:
    """Read and parse one text document."""
    path = Path(path)
    return parse_text(read_text(path), source=str(path))
