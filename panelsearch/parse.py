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

from . import config
from .errors import ParseError
from .models import Answer, Document, Question
from .text import clean_text

HEADER_RE = re.compile(r"^\s*#\s*question\s+answer\s*$", re.IGNORECASE)
QUESTION_RE = re.compile(r"^\s*(\d{1,4})\s+(\S.*)?$")
SPEAKER_RE = re.compile(r"(?<!\S)([A-Z]{2,4}):(?=\s|$)")
# Characters no parsed text holds (clean_text turns them into spaces or drops them); kept for callers.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
SPACE_RE = re.compile(r"\s+")

EXPECTED = "expected numbered questions ('1 How do we...?') answered after speaker tags ('AC: ...')"

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
    title = preamble[0].lstrip("# ").strip() if preamble else stem.replace("-", " ").replace("_", " ").strip()
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
