"""Formats stage (beside parse): a document file of any supported type -> models.Document.

- ``.txt``   text extracted from a Q&A table (parse.py);
- ``.md``    a hand-typed Markdown Q&A (the format is in the README, "Adding documents");
- ``.pdf``   the Q&A table itself: a number column, a Question column and an Answer column, its
             header repeated on each page, cells wrapped over lines, rows broken across pages;
- ``.docx``  a Word file holding the same table.
An optional ``<stem>.meta.json`` beside a document gives its title, date, event and the speakers'
display names and roles. Every reader raises ParseError naming the file and where in it.
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import config
from .errors import ParseError
from .models import Answer, Document, Question, Speaker
from .parse import (SPACE_RE, SPEAKER_RE, cap_warnings, join_lines, parse_file, parse_text, read_text, speaker_warnings,
                    too_many_questions)
from .parse import shorten as _short
from .text import clean_text

FORMATS = {".txt": "text", ".md": "markdown", ".pdf": "pdf", ".docx": "docx"}
META_SUFFIX = ".meta.json"
META_FIELDS = ("title", "date", "event", "speakers")
INITIALS_RE = re.compile(r"[A-Z]{2,4}")
# The value is the rest of the line, stripped in Python: "(.*?)\s*$" was quadratic on a value
# followed by thousands of spaces. Every pattern here is linear on any input (tests/test_hardening_readers.py).
FIELD_RE = re.compile(r"^\s*(?:\*\*|__)?(title|date|event)(?:\*\*|__)?\s*:(?:\*\*|__)?(.*)", re.IGNORECASE)


def metadata_path(doc_path: Path) -> Path:
    """Where a document's optional metadata lives: ``talk.pdf`` -> ``talk.meta.json``."""
    doc_path = Path(doc_path)
    return doc_path.with_name(doc_path.stem + META_SUFFIX)


def parse_document(path: Path) -> Document:
    """Parse one document by its suffix, without its metadata file."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ParseError(path.name, 0, f"unsupported file type '{path.suffix or '(none)'}': "
                                       f"expected one of {', '.join(FORMATS)}")
    reader = {"text": parse_file, "markdown": parse_markdown_file, "pdf": parse_pdf, "docx": parse_docx}[kind]
    return replace(reader(path), format=kind)


def load_document(path: Path, meta_path: Path | None = None) -> Document:
    """Parse a document and apply its metadata: ``meta_path`` if given, else ``<stem>.meta.json`` beside it."""
    path = Path(path)
    doc = parse_document(path)
    meta_path = Path(meta_path) if meta_path else metadata_path(path)
    if meta_path.is_file():
        doc = apply_metadata(doc, read_metadata(meta_path))
    return doc


# -- metadata ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metadata:
    """What a ``.meta.json`` file says about its document; empty strings where it says nothing."""

    file: str
    title: str = ""
    date: str = ""
    event: str = ""
    people: tuple[Speaker, ...] = ()
    lines: dict = field(default_factory=dict, compare=False)  # initials -> line, for messages


def _json_line(text: str, key: str) -> int:
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _meta_value(name: str, line: int, field: str, value: str, limit: int, who: str = "") -> str:
    """A metadata string cleaned (clean_text, stripped) and within ``limit`` characters."""
    value = clean_text(value).strip()
    if len(value) > limit:
        raise ParseError(name, line, f"{who}'{field}' is {len(value):,} characters long; at most {limit:,}")
    return value


def read_metadata(path: Path) -> Metadata:
    """Read ``{"title", "date", "event", "speakers": {"AC": {"name", "role"} or "name"}}``, all optional."""
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size > config.MAX_META_BYTES:
        raise ParseError(name, 0, f"the metadata file is {size:,} bytes; at most {config.MAX_META_BYTES:,}")
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(name, err.lineno, f"not valid JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:  # "[[[[..." thousands deep: the decoder recurses once per level
        raise ParseError(name, 1, "nested too deeply: expected a JSON object such as "
                                  '{"title": "...", "speakers": {"AC": "A. Name"}}') from None
    if not isinstance(data, dict):
        raise ParseError(name, 1, 'expected a JSON object such as {"title": "...", "speakers": {"AC": "A. Name"}}')
    for key in data:
        if key not in META_FIELDS:
            raise ParseError(name, _json_line(text, key),
                             f"unknown field '{_short(clean_text(key))}': expected {', '.join(META_FIELDS)}")
    for key in ("title", "date", "event"):
        if not isinstance(data.get(key, ""), str):
            raise ParseError(name, _json_line(text, key), f"'{key}' should be text in quotes")
    limits = {"title": config.MAX_TITLE_CHARS, "date": config.MAX_DATE_CHARS, "event": config.MAX_EVENT_CHARS}
    fields = {key: _meta_value(name, _json_line(text, key), key, data.get(key, ""), limit) for key, limit in limits.items()}
    speakers = data.get("speakers", {})
    if not isinstance(speakers, dict):
        raise ParseError(name, _json_line(text, "speakers"),
                         "'speakers' should map initials to a name or to {\"name\": ..., \"role\": ...}")
    people, lines = [], {}
    for initials, info in speakers.items():
        line = lines[initials] = _json_line(text, initials)
        if not INITIALS_RE.fullmatch(initials):
            raise ParseError(name, line, f"speaker '{_short(clean_text(initials))}': use the 2-4 capitals of the "
                                         "speaker's tag, such as 'AC'")
        if isinstance(info, str):
            info = {"name": info}
        if not isinstance(info, dict) or set(info) - {"name", "role"} or not all(isinstance(v, str) for v in info.values()):
            raise ParseError(name, line, f"speaker '{initials}': expected a name, or {{\"name\": \"...\", \"role\": \"...\"}}")
        who = f"speaker '{initials}': "
        people.append(Speaker(initials, _meta_value(name, line, "name", info.get("name", ""), config.MAX_NAME_CHARS, who),
                              _meta_value(name, line, "role", info.get("role", ""), config.MAX_ROLE_CHARS, who)))
    return Metadata(name, fields["title"], fields["date"], fields["event"], tuple(people), lines)


def apply_metadata(doc: Document, meta: Metadata) -> Document:
    """The document with the metadata's title, date, event and speaker names laid over its own."""
    for person in meta.people:
        if person.initials not in doc.speakers:
            raise ParseError(meta.file, meta.lines.get(person.initials, 1),
                             f"speaker '{person.initials}' does not answer anything in {Path(doc.path).name or doc.source} "
                             f"(its speakers are {', '.join(doc.speakers)})")
    # A tag the metadata names is a speaker after all ('PS' for Paul Smith): no warning about it.
    named = [f"'{p.initials}:' was read as a speaker tag" for p in meta.people if p.name]
    warnings = tuple(w for w in doc.warnings if not any(n in w for n in named))
    return replace(doc, title=meta.title or doc.title, date=meta.date or doc.date, event=meta.event or doc.event,
                   people=_merge_people(doc.people, meta.people), warnings=warnings)


def _merge_people(own: tuple[Speaker, ...], given: tuple[Speaker, ...]) -> tuple[Speaker, ...]:
    merged = {p.initials: p for p in own}
    for p in given:
        old = merged.get(p.initials, Speaker(p.initials))
        merged[p.initials] = Speaker(p.initials, p.name or old.name, p.role or old.role)
    return tuple(merged[k] for k in sorted(merged))


def _title_from_stem(stem: str) -> str:
    return stem.replace("-", " ").replace("_", " ").strip() or stem


# -- Markdown ---------------------------------------------------------------------------------

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


def _field(line: str) -> tuple[str, str] | None:
    """``Date: 17 June 2021`` -> ("date", "17 June 2021"); None for a line that is no such field."""
    m = FIELD_RE.match(line)
    return (m.group(1).lower(), m.group(2).strip()) if m else None


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
        f = _field(raw)
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
    doc = Document(source=stem, title=title or fields.get("title") or _title_from_stem(stem), questions=questions,
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


# -- tables (PDF and Word) -----------------------------------------------------------------------

QUESTION_HEADS = {"question", "questions"}
ANSWER_HEADS = {"answer", "answers", "response", "responses"}
HEADER_WORDS = QUESTION_HEADS | ANSWER_HEADS | {"", "no", "number", "num", "q"}  # "#" and "No." included
ROW_NUMBER_RE = re.compile(r"(?:Q(?:uestion)?\.?\s*)?(\d{1,4})\s*[.):]?", re.IGNORECASE)
URL_START_RE = re.compile(r"https?://|www\.")
TABLE_EXPECTED = "expected a table with a number column, a Question column and an Answer column"


def _head(text: str) -> str:
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
class _Row:
    """One table row as read: cells are lists of text lines."""

    line: int  # what a ParseError reports: the page (PDF) or the table row (Word)
    where: str  # "page 2, row 3" or "table 1, row 7"
    number: str
    question: list[str]
    answer: list[str]

    def is_header(self) -> bool:
        return _head(" ".join(self.question)) in QUESTION_HEADS and _head(" ".join(self.answer)) in ANSWER_HEADS

    def is_empty(self) -> bool:
        return not (self.number.strip() or "".join(self.question).strip() or "".join(self.answer).strip())


def table_questions(name: str, rows: list[_Row]) -> tuple[Question, ...]:
    """Rows of a Q&A table -> questions. A row with no number continues the row above it."""
    rows = [r for r in rows if not r.is_header() and not r.is_empty()]
    if not rows:
        raise ParseError(name, 0, f"the table has no rows below its header: {TABLE_EXPECTED}")
    numbered = any(r.number.strip() for r in rows)  # else a two-column table: each Question cell starts one
    groups: list[tuple[int, _Row, list[str], list[str]]] = []
    done: list[Question] = []
    for r in rows:
        number = r.number.strip()
        if numbered and number:
            m = ROW_NUMBER_RE.fullmatch(number)
            if not m:
                raise ParseError(name, r.line, f"{r.where}: expected a question number in the first column, "
                                               f"found '{_short(number)}'")
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


def _table_question(name: str, number: int, first: _Row, asked: list[str], said: list[str]) -> Question:
    question = join_cell_lines(asked)
    if not question:
        raise ParseError(name, first.line, f"{first.where}: question {number} has an empty Question cell")
    answer = join_cell_lines(said)
    tags = list(SPEAKER_RE.finditer(answer))
    if not tags:
        raise ParseError(name, first.line, f"{first.where}: the answer to question {number} has no speaker tag: "
                                           "start it with the speaker's initials and a colon, such as 'AC:'")
    before = answer[:tags[0].start()].strip()
    if before:
        raise ParseError(name, first.line, f"{first.where}: the answer to question {number} starts with "
                                           f"'{_short(before)}' before any speaker tag such as 'AC:'")
    answers = []
    for i, tag in enumerate(tags):
        body = answer[tag.end():tags[i + 1].start() if i + 1 < len(tags) else len(answer)].strip()
        if not body:
            raise ParseError(name, first.line, f"{first.where}: question {number}: speaker tag "
                                               f"'{tag.group(1)}:' has no answer text after it")
        answers.append(Answer(speaker=tag.group(1), text=body, line=first.line))
    return Question(number=number, text=question, answers=tuple(answers), line=first.line)


def _preamble(lines: list[str]) -> dict:
    """``Date:`` and ``Event:`` lines written above the table."""
    found: dict = {}
    for line in lines:
        f = _field(line)
        if f and f[1]:
            found.setdefault(*f)
    return found


def _as_text(name: str, path: Path, text: str) -> Document:
    """No table found: read the extracted text as the text format, which is what extraction gives."""
    if not text.strip():
        raise ParseError(name, 1, f"no text found: {TABLE_EXPECTED} (a scanned page is an image; "
                                  "export the document as a PDF with selectable text)")
    try:
        return parse_text(text, source=str(path))
    except ParseError as err:
        raise ParseError(name, err.line, f"no Question/Answer table found, and the text (line {err.line}) "
                                         f"is not the text format either: {err.message}") from None


# -- PDF --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Columns:
    left: float
    b1: float  # number | question
    b2: float  # question | answer
    right: float  # where the Answer column's text may reach
    ruled: bool
    rule_right: float = 0.0  # the Answer column's right-hand rule


def parse_pdf(path: Path) -> Document:
    """Read the Q&A table of a PDF (pdfplumber), page by page."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    path = Path(path)
    try:
        # Page objects for one page more than the cap at most, however many the file has.
        with pdfplumber.open(path, pages=range(1, config.MAX_PDF_PAGES + 2)) as pdf:
            return _read_pdf(pdf, path)
    except (PdfminerException, PSException) as err:
        cause = err.args[0] if err.args else err
        if isinstance(cause, PDFPasswordIncorrect):
            raise ParseError(path.name, 0, "the PDF is password-protected: save a copy without a password") from None
        raise ParseError(path.name, 0, f"not a readable PDF ({_short(str(cause), 80)}): {TABLE_EXPECTED}") from None


def _read_pdf(pdf, path: Path) -> Document:
    name = path.name
    if len(pdf.pages) > config.MAX_PDF_PAGES:
        raise ParseError(name, 0, f"too large or too complex to read safely: more than {config.MAX_PDF_PAGES:,} "
                                  "pages; split the document")
    columns: _Columns | None = None
    rows: list[_Row] = []
    above: list[tuple[float, str]] = []  # (font size, text) of the lines above the table
    texts: list[str] = []  # each page's text while no table is found: the text format is read from it
    for page_no, page in enumerate(pdf.pages, start=1):
        try:
            headers = _pdf_headers(page.extract_words())
            found = _pdf_layout(page, columns, headers[0] if headers else None)
            if found is None:
                if columns is None:
                    above.extend(_pdf_lines(page.chars))
                    texts.append(page.extract_text() or "")
                continue
            if columns is None:
                above.extend(_pdf_lines([c for c in page.chars if c["bottom"] <= found[1] + 0.5]))
            columns, top, bottom = found
            rows.extend(_pdf_rows(page, page_no, columns, top, bottom, headers))
        finally:
            page.close()  # drop the page's characters and layout: kept, 500 pages took gigabytes
    if columns is None:
        return _as_text(name, path, "\n".join(texts))
    questions = table_questions(name, rows)
    info = _preamble([text for _, text in above])
    title = _pdf_title(above) or clean_text(_pdf_meta_title(pdf.metadata)) or _title_from_stem(path.stem)
    return Document(source=path.stem, title=title, questions=questions, path=str(path),
                    date=info.get("date", ""), event=info.get("event", ""))


def _pdf_headers(words: list[dict]) -> list[tuple[dict, dict]]:
    """(Question word, Answer word) of each header line on a page, top first.

    A header line holds nothing but header words, so "each question gets an answer" is not one.
    """
    found = []
    for q in sorted((w for w in words if _head(w["text"]) in QUESTION_HEADS), key=lambda w: w["top"]):
        line = [w for w in words if abs(w["top"] - q["top"]) < 3]
        a = next((a for a in line if _head(a["text"]) in ANSWER_HEADS and a["x0"] > q["x1"]), None)
        if a is not None and all(_head(w["text"]) in HEADER_WORDS for w in line):
            found.append((q, a))
    return found


def _cluster(values: list[float], tol: float = 1.5) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _pdf_layout(page, previous: _Columns | None, header):
    """(columns, top, bottom) of the Q&A table on a page, or None when the page has none.

    Ruled tables take their columns from the vertical rules (a centred header word still falls
    in its column); unruled ones from where the header words start.
    """
    vertical = [e for e in page.edges if e["orientation"] == "v" and e["bottom"] - e["top"] > 4]
    xs = _cluster([e["x0"] for e in vertical])
    columns = previous
    if header:
        q, a = header

        def ruled_column(x: float):  # the left rule of the ruled column that holds x
            return next((lo for lo, hi in zip(xs, xs[1:]) if lo - 1 <= x < hi), None)

        b1, b2 = ruled_column(q["x0"]), ruled_column(a["x0"])
        if b1 is not None and b2 is not None and b1 < b2:
            right = next(x for x in xs if x > b2 + 1)
            # Text that overflows the last column's rule still belongs to it (a long URL, say).
            columns = _Columns(xs[0], b1, b2, float(page.width) if right == xs[-1] else right, True, right)
        else:  # no rules between the columns: the header words mark where each column starts
            columns = _Columns(0.0, q["x0"] - 2, a["x0"] - 2, float(page.width), False)
    if columns is None:
        return None
    if columns.ruled:
        at_b2 = [e for e in vertical if abs(e["x0"] - columns.b2) < 1.5]
        if not at_b2:
            return None  # the table ended on an earlier page
        return columns, min(e["top"] for e in at_b2), max(e["bottom"] for e in at_b2)
    return columns, (header[0]["top"] - 1 if header else 0.0), float(page.height)


def _mid(c: dict) -> tuple[float, float]:
    return (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2


def _pdf_rows(page, page_no: int, cols: _Columns, top: float, bottom: float, headers) -> list[_Row]:
    from pdfplumber.utils import extract_text

    chars = [c for c in page.chars if cols.left - 1 <= _mid(c)[0] <= cols.right + 1 and top - 1 <= _mid(c)[1] <= bottom + 1]
    if cols.ruled:  # rows are bounded by horizontal rules across the Answer column
        cuts = _rules_across(page, cols.b2, cols.rule_right, top, bottom)
    else:  # rows start where a number stands in the number column
        cuts = [y - 0.5 for y, text in _pdf_lines([c for c in chars if _mid(c)[0] < cols.b1], by_top=True)
                if ROW_NUMBER_RE.fullmatch(text)]
    for q, _ in headers:  # a header line is a row of its own, ruled off or not
        cuts += [q["top"] - 0.5, q["bottom"] + 0.5]
    bounds = sorted({top - 1, bottom + 1, *cuts})
    rows, row_no = [], 0
    for y0, y1 in zip(bounds, bounds[1:]):
        cells: list[list[dict]] = [[], [], []]
        for c in chars:
            x, y = _mid(c)
            if y0 <= y < y1:
                cells[0 if x < cols.b1 else 1 if x < cols.b2 else 2].append(c)
        if not any(c["text"].strip() for cell in cells for c in cell):
            continue
        row_no += 1
        number, asked, said = ([clean_text(line) for line in extract_text(cell).split("\n")] if cell else []
                               for cell in cells)
        rows.append(_Row(page_no, f"page {page_no}, row {row_no}", " ".join(number), asked, said))
    return rows


def _rules_across(page, x0: float, x1: float, top: float, bottom: float) -> list[float]:
    """Heights of horizontal rules that cover most of [x0, x1], between top and bottom."""
    by_y: dict[float, list[tuple[float, float]]] = {}
    for e in page.edges:
        if e["orientation"] == "h" and top - 2 <= e["top"] <= bottom + 2:
            y = next((k for k in by_y if abs(k - e["top"]) < 1.5), e["top"])
            by_y.setdefault(y, []).append((max(e["x0"], x0), min(e["x1"], x1)))
    cuts = []
    for y, spans in by_y.items():
        covered, reach = 0.0, x0
        for a, b in sorted(spans):
            if b > reach:
                covered += b - max(a, reach)
                reach = b
        if covered >= 0.8 * (x1 - x0):
            cuts.append(y)
    return cuts


def _pdf_lines(chars: list[dict], by_top: bool = False) -> list[tuple[float, str]]:
    """Group characters into lines: (font size, or top with by_top, text) in reading order."""
    from pdfplumber.utils import extract_text

    lines: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if lines and abs(c["top"] - lines[-1][0]["top"]) < 3:
            lines[-1].append(c)
        else:
            lines.append([c])
    out = []
    for line in lines:
        text = clean_text(extract_text(line)).strip()
        if text:
            out.append((line[0]["top"] if by_top else max(c["size"] for c in line), text))
    return out


def _pdf_title(lines: list[tuple[float, str]]) -> str:
    """The first run of lines in the largest type above the table, if any."""
    lines = [(size, text) for size, text in lines if not FIELD_RE.match(text)]
    if not lines:
        return ""
    biggest = max(size for size, _ in lines)
    start = next(i for i, (size, _) in enumerate(lines) if size >= biggest - 0.1)
    run = []
    for size, text in lines[start:]:
        if size < biggest - 0.1:
            break
        run.append(text)
    return join_cell_lines(run)


def _pdf_meta_title(metadata: dict) -> str:
    title = metadata.get("Title") if isinstance(metadata, dict) else None
    if not isinstance(title, str):
        return ""
    title = title.strip().removeprefix("Microsoft Word - ")
    if not title or (title.startswith("(") and title.endswith(")")) or re.search(r"\.(docx?|pdf|txt)$", title, re.I):
        return ""  # "(anonymous)", or the file name a converter wrote
    return title


# -- Word -------------------------------------------------------------------------------------

def parse_docx(path: Path) -> Document:
    """Read the Q&A table(s) of a Word file (python-docx)."""
    import docx
    from docx.opc.exceptions import OpcError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    path = Path(path)
    name = path.name
    _check_docx_size(path)
    try:
        document = docx.Document(str(path))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as err:
        raise _unreadable_docx(name, err) from None
    above: list[tuple[str, str]] = []  # (style name, text) of paragraphs before the table
    paragraphs: list[str] = []
    rows: list[_Row] = []
    columns = None
    tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            tables += 1
            found, columns = _docx_rows(name, block, tables, columns)
            rows.extend(found)
        else:
            text = clean_text(block.text)
            paragraphs.append(text)
            if columns is None:
                above.append((block.style.name if block.style is not None else "", text.strip()))
    if columns is None:
        return _as_text(name, path, "\n".join(paragraphs))
    info = _preamble([text for _, text in above])
    heading = next((t for style, t in above if t and style.lower().startswith(("title", "heading"))), "")
    title = heading or clean_text(document.core_properties.title or "").strip() or _title_from_stem(path.stem)
    return Document(source=path.stem, title=title, questions=table_questions(name, rows), path=str(path),
                    date=info.get("date", ""), event=info.get("event", ""))


def _unreadable_docx(name: str, err: Exception) -> ParseError:
    return ParseError(name, 0, f"not a readable Word file ({_short(str(err), 80)}): expected a .docx "
                               f"saved by Word or LibreOffice, with {TABLE_EXPECTED[11:]}")


def _check_docx_size(path: Path) -> None:
    """Refuse a .docx whose parts would expand past the caps, before anything is decompressed.

    A .docx is a zip: a few KB can hold a word/document.xml of gigabytes of spaces. The sizes
    checked are the ones the zip declares; the zip reader never expands a part past its declared
    size, so a part that lies about it cannot grow larger either.
    """
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise _unreadable_docx(path.name, err) from None
    if len(members) > config.MAX_DOCX_MEMBERS:
        raise ParseError(path.name, 0, f"too large or too complex to read safely: it holds {len(members):,} parts; "
                                       f"at most {config.MAX_DOCX_MEMBERS:,}")
    total, biggest = sum(m.file_size for m in members), max((m.file_size for m in members), default=0)
    if total > config.MAX_DOCX_TOTAL_BYTES or biggest > config.MAX_DOCX_MEMBER_BYTES:
        raise ParseError(path.name, 0, f"too large or too complex to read safely: it expands to {total / 2**20:,.0f} MB "
                                       f"(at most {config.MAX_DOCX_TOTAL_BYTES / 2**20:,.0f} MB, and "
                                       f"{config.MAX_DOCX_MEMBER_BYTES / 2**20:,.0f} MB for one part)")


class _WordCell:
    """A Word table cell (a ``w:tc``) as the reader needs it: its lines, and the columns it spans."""

    def __init__(self, tc, table, span: int):
        from docx.table import _Cell

        self.lines = [line for p in _Cell(tc, table).paragraphs for line in clean_text(p.text).split("\n")]
        self.text = "\n".join(self.lines)
        self.span = span


def _xml_attr(read, default):
    """An attribute read through python-docx, or ``default`` where it is absent or not valid."""
    from docx.oxml.exceptions import InvalidXmlError

    try:
        value = read()
    except (ValueError, InvalidXmlError):
        return default
    return default if value is None else value


def _word_grid(table) -> list[list[_WordCell]]:
    """Each row's cells, one per grid column a cell covers, as python-docx's ``row.cells`` gives
    them (a cell spanning two columns twice; a ``vMerge="continue"`` cell as the cell above it),
    but linear and bounded, where ``row.cells`` is neither on a hostile file:

    - a cell spans at most MAX_TABLE_COLUMNS columns, and a row is read as at most that many
      (``gridSpan="30000000"`` made python-docx build 30 million cells, 2.3 GB);
    - a merged-from-above cell is looked up in the row above, already resolved (python-docx walks
      up one row at a time for each such cell: 1,000 merged rows raised RecursionError after 72 s).
    """
    width = config.MAX_TABLE_COLUMNS
    grid: list[list[_WordCell]] = []
    above: dict[int, _WordCell] = {}  # grid offset -> the cell that starts there in the row above
    for tr in table._tbl.tr_lst:
        cells: list[_WordCell] = []
        starts: dict[int, _WordCell] = {}
        offset = _xml_attr(lambda: tr.grid_before, 0)
        for tc in tr.tc_lst:
            if len(cells) >= width:
                break
            span = min(max(_xml_attr(lambda: tc.grid_span, 1), 1), width)
            merged = _xml_attr(lambda: tc.vMerge, None) == "continue"
            cell = above.get(offset) if merged else None
            if cell is None:  # not merged, or nothing above to merge with: a cell of its own
                cell = _WordCell(tc, table, span)
            starts[offset] = cell
            cells.extend([cell] * min(cell.span, width - len(cells)))
            offset += span
        grid.append(cells)
        above = starts
    return grid


def _docx_rows(name: str, table, table_no: int, columns):
    """(rows, columns) of one Word table; columns stay None while no Q&A table has been seen."""
    grid = _word_grid(table)
    for cells in grid:
        heads = [_head(c.text) for c in cells]
        q = next((i for i, h in enumerate(heads) if h in QUESTION_HEADS), None)
        a = next((i for i, h in enumerate(heads) if h in ANSWER_HEADS and q is not None and i > q), None)
        if q is not None and a is not None:
            columns = (q - 1 if q > 0 else None, q, a)
            break
    if columns is None:
        numbered = any(len(cells) >= 3 and ROW_NUMBER_RE.fullmatch(cells[0].text.strip()) for cells in grid)
        if not numbered:
            return [], None  # not a Q&A table: a layout or contact table, say
        columns = (0, 1, 2)
    n_col, q_col, a_col = columns
    rows: list[_Row] = []
    above = None
    for row_no, cells in enumerate(grid, start=1):
        if len(cells) <= a_col:
            raise ParseError(name, row_no, f"table {table_no}, row {row_no} has {len(cells)} cell(s): {TABLE_EXPECTED}")
        picked = [cells[i] if i is not None else None for i in columns]
        if picked[1] is picked[2]:
            above = cells
            continue  # one cell across the row: a section heading, not a question
        texts = []
        for col, cell in zip(columns, picked):
            merged_from_above = cell is not None and above is not None and col < len(above) and above[col] is cell
            texts.append([] if cell is None or merged_from_above else cell.lines)
        rows.append(_Row(row_no, f"table {table_no}, row {row_no}", " ".join(texts[0]), texts[1], texts[2]))
        above = cells
    return rows, columns
