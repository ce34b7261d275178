"""Q&A tables, as the PDF and Word readers find them: a number column, a Question column and an
Answer column under a header row; wrapped cells; rows broken across pages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Document, Question
from .common import SPACE_RE, field as read_field, join_lines, shorten, speaker_answers, too_many_questions
from .txt import parse_text

QUESTION_HEADS = {"question", "questions"}
ANSWER_HEADS = {"answer", "answers", "response", "responses"}
HEADER_WORDS = QUESTION_HEADS | ANSWER_HEADS | {"", "no", "number", "num", "q"}  # "#" and "No." included
ROW_NUMBER_RE = re.compile(r"(?:Q(?:uestion)?\.?\s*)?(\d{1,4})\s*[.):]?", re.IGNORECASE)
URL_START_RE = re.compile(r"https?://|www\.")
TABLE_EXPECTED = "expected a table with a number column, a Question column and an Answer column"


def head(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def join_cell_lines(lines: list[str]) -> str:
    """Join the lines of a wrapped table cell into one string, as parse.join_lines does.

    One more rule for cells: a URL broken after a slash (``https://`` + ``www.x.org/a``) joins
    without a space when the next line goes on like a URL: its first word holds a slash or a
    dot between letters, or it is one word broken at a hyphen. "see https://x.org/" + "for more"
    keeps its space.
    """
    merged: list[str] = []
    for line in lines:
        text = SPACE_RE.sub(" ", line).strip()
        if not text:
            continue
        if merged:
            last, first = merged[-1].rsplit(" ", 1)[-1], text.split(" ", 1)[0]
            url_piece = re.search(r"/|\w\.\w", first) or (first == text and first.endswith("-"))
            if last.endswith("://") or (_ends_a_url(last) and url_piece):
                merged[-1] += text
                continue
        merged.append(text)
    return join_lines(list(enumerate(merged, start=1)))[0]


def _ends_a_url(word: str) -> bool:
    """``https://x.org/a/`` or ``www.x.org/`` (one word): a URL broken after a slash. Tested in
    Python: the pattern ``(?:https?://|www[.])\\S*/`` was quadratic when searched for in "www.www...". """
    start = URL_START_RE.match(word)
    return start is not None and word.endswith("/") and len(word) > start.end()


@dataclass
class Row:
    """One table row as read: cells are lists of text lines."""

    line: int  # what a ParseError reports: the page (PDF) or the table row (Word)
    where: str  # "page 2, row 3" or "table 1, row 7"
    number: str
    question: list[str]
    answer: list[str]

    def is_header(self) -> bool:
        return head(" ".join(self.question)) in QUESTION_HEADS and head(" ".join(self.answer)) in ANSWER_HEADS

    def is_empty(self) -> bool:
        return not (self.number.strip() or "".join(self.question).strip() or "".join(self.answer).strip())


def table_questions(name: str, rows: list[Row]) -> tuple[Question, ...]:
    """Rows of a Q&A table -> questions. A row with no number continues the row above it."""
    rows = [r for r in rows if not r.is_header() and not r.is_empty()]
    if not rows:
        raise ParseError(name, 0, f"the table has no rows below its header: {TABLE_EXPECTED}")
    numbered = any(r.number.strip() for r in rows)  # else a two-column table: each Question cell starts one
    groups: list[tuple[int, Row, list[str], list[str]]] = []
    done: list[Question] = []
    for r in rows:
        number = r.number.strip()
        if numbered and number:
            m = ROW_NUMBER_RE.fullmatch(number)
            if not m:
                raise ParseError(name, r.line, f"{r.where}: expected a question number in the first column, "
                                               f"found '{shorten(number)}'")
            n = int(m.group(1))
            if groups and n < groups[-1][0]:
                raise ParseError(name, r.line, f"{r.where}: question {n} comes after question {groups[-1][0]}; "
                                               "the numbers should go up")
            new = not groups or n > groups[-1][0]
        else:
            n = groups[-1][0] + 1 if groups else 1
            new = not numbered and bool("".join(r.question).strip())
        if new:
            if len(groups) == config.MAX_QUESTIONS:
                raise too_many_questions(name, r.line)
            if groups:  # the question above is complete: check it now, so errors come in reading order
                done.append(_table_question(name, *groups[-1]))
            groups.append((n, r, list(r.question), list(r.answer)))
        elif groups:
            groups[-1][2].extend(r.question)
            groups[-1][3].extend(r.answer)
        else:
            raise ParseError(name, r.line, f"{r.where}: this row has no question number and no question comes before it")
    return tuple(done + [_table_question(name, *groups[-1])])


def _table_question(name: str, number: int, first: Row, asked: list[str], said: list[str]) -> Question:
    question = join_cell_lines(asked)
    if not question:
        raise ParseError(name, first.line, f"{first.where}: question {number} has an empty Question cell")
    before, answers = speaker_answers(name, number, join_cell_lines(said), lambda offset: first.line,
                                      where=f"{first.where}: ")
    if not answers:
        raise ParseError(name, first.line, f"{first.where}: the answer to question {number} has no speaker tag: "
                                           "start it with the speaker's initials and a colon, such as 'AC:'")
    if before:
        raise ParseError(name, first.line, f"{first.where}: the answer to question {number} starts with "
                                           f"'{shorten(before)}' before any speaker tag such as 'AC:'")
    return Question(number=number, text=question, answers=tuple(answers), line=first.line)


def preamble(lines: list[str]) -> dict:
    """``Date:`` and ``Event:`` lines written above the table."""
    found: dict = {}
    for line in lines:
        f = read_field(line)
        if f and f[1]:
            found.setdefault(*f)
    return found


def as_text(name: str, path: Path, text: str) -> Document:
    """No table found: read the extracted text as the text format, which is what extraction gives."""
    if not text.strip():
        raise ParseError(name, 1, f"no text found: {TABLE_EXPECTED} (a scanned page is an image; "
                                  "export the document as a PDF with selectable text)")
    try:
        return parse_text(text, source=str(path))
    except ParseError as err:
        raise ParseError(name, err.line, f"no Question/Answer table found, and the text (line {err.line}) "
                                         f"is not the text format either: {err.message}") from None
