"""The text format (``.txt``): text extracted from a Q&A table -> questions with speaker-attributed answers.

The format (the webinar seed is one example):
- a question starts at a line beginning with the next question number and a space;
  numbering is sequential, so "50 staff completed..." inside an answer is not a question;
- a speaker tag is 2-4 capital letters and a colon (``AC:``), anywhere in a line;
- lines are joined with one space, but a line ending in ``-`` joins the next with no space;
- repeated page headers (``# Question Answer``) are dropped.
"""
from __future__ import annotations

import re
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Document, Question
from ..text import clean_text
from .common import (SPEAKER_RE, cap_warnings, join_lines, line_at, read_text, shorten, speaker_answers,
                     speaker_warnings, title_from_stem, too_many_questions)

HEADER_RE = re.compile(r"^\s*#\s*question\s+answer\s*$", re.IGNORECASE)
QUESTION_RE = re.compile(r"^\s*(\d{1,4})\s+(\S.*)?$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
EXPECTED = "expected numbered questions ('1 How do we...?') answered after speaker tags ('AC: ...')"

def parse_text(text: str, source: str = "<text>") -> Document:
    """Parse Q&A text into a Document. Raises ParseError naming ``source`` and a line."""
    name = Path(source).name
    stem = Path(source).stem
    text = clean_text(text)
    lines = text.split("\n")
    if not text.strip():
        raise ParseError(name, 1, f"file is empty: {EXPECTED}")

    preamble: list[str] = []
    blocks: list[tuple[int, int, list[tuple[int, str]]]] = []  # (number, line, pieces)
    skipped: list[tuple[int, int, int, int, str]] = []  # (line, its number, number expected, in question, line text)
    for line_no, line in enumerate(lines, start=1):
        if HEADER_RE.match(line):
            continue
        m = QUESTION_RE.match(line)
        if m and int(m.group(1)) == len(blocks) + 1:
            if len(blocks) == config.MAX_QUESTIONS:
                raise too_many_questions(name, line_no)
            blocks.append((len(blocks) + 1, line_no, [(line_no, m.group(2) or "")]))
        elif blocks:
            if m and _looks_like_a_question(m, len(blocks) + 1, lines, line_no):
                skipped.append((line_no, int(m.group(1)), len(blocks) + 1, len(blocks), line))
            blocks[-1][2].append((line_no, line))
        elif line.strip():
            preamble.append(line.strip())

    if not blocks:
        first = next(i for i, line in enumerate(lines, start=1) if line.strip())
        raise ParseError(name, first, f"no numbered question found: {EXPECTED}")

    questions = [_parse_block(name, number, line_no, pieces) for number, line_no, pieces in blocks]
    title = preamble[0].lstrip("# ").strip() if preamble else title_from_stem(stem)
    warnings = [_skipped_warning(*s, found=len(blocks)) for s in skipped] + speaker_warnings(questions)
    return Document(source=stem, title=title or stem, questions=tuple(questions), path=str(source),
                    warnings=cap_warnings(warnings))


def _looks_like_a_question(m: re.Match, expected: int, lines: list[str], line_no: int) -> bool:
    """A numbered line just past the next expected number that reads as a question: it ends in
    '?' or a speaker tag follows it, on its line or the next. Numbering is sequential, so such a line is
    read into the answer above; "50 staff came" or "3 people joined." are not flagged."""
    if not expected < int(m.group(1)) <= expected + 3:
        return False
    text = m.group(2) or ""
    tag = SPEAKER_RE.search(text)
    asks = text[: tag.start() if tag else len(text)].rstrip().endswith("?")
    following = lines[line_no] if line_no < len(lines) else ""
    return asks or tag is not None or SPEAKER_RE.match(following.lstrip()) is not None


def _skipped_warning(line_no: int, number: int, expected: int, inside: int, line: str, found: int) -> str:
    missing = "was never found" if expected > found else "comes after it"
    return (f"line {line_no}: '{shorten(line)}' looks like question {number}, but question {expected} {missing}; "
            f"it was read as part of the answer to question {inside}")


def _parse_block(name: str, number: int, line_no: int, pieces: list[tuple[int, str]]) -> Question:
    joined, marks = join_lines(pieces)
    question, answers = speaker_answers(name, number, joined, lambda offset: line_at(marks, offset))
    if not answers:
        raise ParseError(name, line_no, f"question {number} has no speaker-tagged answer: expected a tag such as 'AC:' before the answer")
    if not question:
        raise ParseError(name, line_no, f"question {number} has no question text before its first speaker tag")
    return Question(number=number, text=question, answers=tuple(answers), line=line_no)


def parse_file(path: Path) -> Document:
    """Read and parse one text document."""
    path = Path(path)
    return parse_text(read_text(path), source=str(path))
