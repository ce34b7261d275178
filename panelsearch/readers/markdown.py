"""The Markdown format (``.md``): a hand-typed Q&A (the format is in the README, "Adding documents").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Answer, Document, Question, Speaker
from ..text import clean_text
from .common import (cap_warnings, field as read_field, join_lines, read_text, speaker_warnings, title_from_stem,
                     too_many_questions)

MD_EXPECTED = "expected '## 1. Question text' headings, each followed by answers starting with a tag such as '**AC:**'"
# Heading text, tag text and field values are "the rest of the line", stripped in Python (see
# _heading_text): a pattern ending "(.*?)\s*$" backtracks over every trailing space for every
# character it tries, and "## " followed by 20,000 spaces took seconds.
MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)")
MD_NUMBER_RE = re.compile(r"^(?:Q(?:uestion)?\s*)?(\d{1,4})\s*[.):]?(?:\s+|$)(.*)", re.IGNORECASE)
_BOLD = r"(?:\*\*|__)?"
MD_TAG_RE = re.compile(rf"^\s*(?:[-*+]\s+)?{_BOLD}([A-Z]{{2,4}}){_BOLD}:{_BOLD}(?=\s|$)(.*)")
MD_INLINE_TAG_RE = re.compile(r"(?<!\S)(?:\*\*|__)([A-Z]{2,4})(?::(?:\*\*|__)|(?:\*\*|__):)(?=\s|$)")
MD_SPEAKERS_RE = re.compile(r"^\s*(?:\*\*|__)?speakers(?:\*\*|__)?\s*:(?:\*\*|__)?\s*$", re.IGNORECASE)
MD_RULE_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|<!--.*-->)\s*$")
# Neither part of a link may hold "[", nor an autolink "<": each try then stops at the next one,
# where "[a](" or "<http://" repeated 20,000 times made every try run to the end of the line.
MD_LINK_RE = re.compile(r"\[([^\[\]]+)\]\(([^)\s\[]+)\)")
MD_AUTOLINK_RE = re.compile(r"<((?:https?://|mailto:)[^<>\s]+)>")
# Linear on any line: the inner part cannot itself hold the closing "**" or "__" (a backreference
# version took 30 s on an 80 KB line of "**a ").
MD_BOLD_RE = re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*|__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__")
MD_ITALIC_RE = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])")
MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def _md_inline(text: str) -> str:
    """Markdown emphasis and links -> plain text: ``**x**`` -> x, ``[x](url)`` -> ``x (url)``."""
    text = MD_LINK_RE.sub(lambda m: m.group(2) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    text = MD_AUTOLINK_RE.sub(r"\1", text)
    text = MD_BOLD_RE.sub(lambda m: m.group(1) or m.group(2), text)
    text = MD_ITALIC_RE.sub(r"\1", text)
    return MD_ESCAPE_RE.sub(r"\1", text).strip()


def _heading_text(rest: str) -> str:
    """A heading's text without its closing #s: ``1. Why? ##`` -> ``1. Why?``; ``C#`` keeps its #."""
    text = rest.strip()
    body = text.rstrip("#")
    if body != text and body[-1:].isspace():
        text = body.rstrip()
    return text


def _person(initials: str, text: str) -> Speaker:
    """``Amy Carter, Expert by Experience`` -> Speaker("AC", "Amy Carter", "Expert by Experience")."""
    text = _md_inline(text)
    for sep in (",", " - ", " \u2013 ", " \u2014 "):
        if sep in text:
            name, role = text.split(sep, 1)
            return Speaker(initials, name.strip(), role.strip())
    return Speaker(initials, text.strip())


@dataclass
class _MdQuestion:
    number: int
    line: int
    heading: str
    body: list[tuple[int, str]] = field(default_factory=list)


def parse_markdown(text: str, source: str = "<markdown>") -> Document:
    """Parse a hand-typed Markdown Q&A. Raises ParseError naming ``source`` and a line."""
    name, stem = Path(source).name, Path(source).stem
    text = clean_text(text)
    lines = text.split("\n")
    if not text.strip():
        raise ParseError(name, 1, f"file is empty: {MD_EXPECTED}")
    title, fields, people, people_lines = "", {}, {}, {}
    in_speakers = False
    blocks: list[_MdQuestion] = []
    for line_no, raw in enumerate(lines, start=1):
        if MD_RULE_RE.match(raw):
            continue
        heading = MD_HEADING_RE.match(raw)
        if heading:
            level, words = len(heading.group(1)), _heading_text(heading.group(2))
            if level == 2:
                m = MD_NUMBER_RE.match(words)
                number = int(m.group(1)) if m else (blocks[-1].number + 1 if blocks else 1)
                if blocks and number <= blocks[-1].number:
                    raise ParseError(name, line_no, f"question {number} comes after question {blocks[-1].number}: "
                                                    "number the '##' questions in order, 1, 2, 3, ...")
                if len(blocks) == config.MAX_QUESTIONS:
                    raise too_many_questions(name, line_no)
                blocks.append(_MdQuestion(number, line_no, m.group(2) if m else words))
            elif level == 1 and not title and not blocks:
                title = _md_inline(words)
            in_speakers = False
            continue  # other headings label sections; they are not content
        if blocks:
            blocks[-1].body.append((line_no, raw))
            continue
        # The preamble: title, date, event and a list of speakers; any other text is an introduction.
        f = read_field(raw)
        tag = MD_TAG_RE.match(raw)
        if MD_SPEAKERS_RE.match(raw):
            in_speakers = True
        elif f and not (tag and in_speakers):
            fields.setdefault(f[0], _md_inline(f[1]))
            in_speakers = False
        elif tag and in_speakers:
            people[tag.group(1)] = _person(tag.group(1), tag.group(2).strip())
            people_lines[tag.group(1)] = line_no
        elif raw.strip():
            in_speakers = False
    if not blocks:
        first = next(i for i, line in enumerate(lines, start=1) if line.strip())
        raise ParseError(name, first, f"no question found: {MD_EXPECTED}")
    questions = tuple(_md_question(name, b) for b in blocks)
    doc = Document(source=stem, title=title or fields.get("title") or title_from_stem(stem), questions=questions,
                   path=str(source), date=fields.get("date", ""), event=fields.get("event", ""),
                   warnings=cap_warnings(speaker_warnings(questions)))
    for initials in people:
        if initials not in doc.speakers:
            raise ParseError(name, people_lines[initials], f"the speakers list names '{initials}', who answers no question "
                                         f"(speakers who answer: {', '.join(doc.speakers)})")
    return replace(doc, people=tuple(people[k] for k in sorted(people)))


def _md_question(name: str, block: _MdQuestion) -> Question:
    asked: list[tuple[int, str]] = [(block.line, block.heading)]
    answers: list[tuple[str, int, list[tuple[int, str]]]] = []  # (speaker, tag line, pieces)
    for line_no, raw in block.body:
        text = raw
        tag = MD_TAG_RE.match(raw)
        if tag:
            answers.append((tag.group(1), line_no, []))
            text = tag.group(2).lstrip()
        parts = MD_INLINE_TAG_RE.split(text)  # a bold tag inside a line starts another answer
        (answers[-1][2] if answers else asked).append((line_no, parts[0]))
        for speaker, rest in zip(parts[1::2], parts[2::2]):
            answers.append((speaker, line_no, [(line_no, rest)]))
    question = _md_inline(join_lines(asked)[0])
    if not question:
        raise ParseError(name, block.line, f"question {block.number} has no question text after its number")
    if not answers:
        raise ParseError(name, block.line, f"question {block.number} has no answer: expected a line starting "
                                           "with a speaker tag such as '**AC:**' after the question")
    out = []
    for speaker, line_no, pieces in answers:
        text = _md_inline(join_lines(pieces)[0])
        if not text:
            raise ParseError(name, line_no, f"question {block.number}: speaker tag '{speaker}:' has no answer text after it")
        out.append(Answer(speaker=speaker, text=text, line=line_no))
    return Question(number=block.number, text=question, answers=tuple(out), line=block.line)


def parse_markdown_file(path: Path) -> Document:
    path = Path(path)
    return parse_markdown(read_text(path), source=str(path))
