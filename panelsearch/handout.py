"""A discussion pack written out as a handout, in Word (the main format) or Markdown.

Pure functions: a list of ``PackItem`` (and a title, a date, the speakers' names and a glossary) in,
a ``str`` or docx ``bytes`` out. The handout stands alone: each passage under a topic heading drawn
from its audience question, with the speaker's name, a note, a question to discuss and lines to
write on; who spoke, the source named once, and the acronyms the passages use.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Iterable, Mapping

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .glossary import acronym_spellings, find_acronyms
from .models import Speaker
from .pack import DEFAULT_TITLE, PackItem, display_name
from .text import clean_text
from .wording import plural

SUBJECT = "Passages from panel Q&A documents"
NOTE_LINES = 4
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_INK = RGBColor(0x1F, 0x29, 0x37)
_MUTED = RGBColor(0x5B, 0x67, 0x78)
_ACCENT = "1D4ED8"  # the blue of the page, for the quote bar
# Word rejects a file whose paragraph properties are out of schema order ("unreadable content"):
# what may follow w:pBdr and w:shd inside w:pPr.
_AFTER_SHD = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
              "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
              "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
              "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
              "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")



def _long_date(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


# -- what the handout says, whatever its format -----------------------------------------------------
Speakers = Mapping[tuple[str, str], Speaker] | Mapping[str, Speaker] | Iterable[Speaker] | None


@dataclass(frozen=True)
class _Entry:
    n: int
    item: PackItem
    question: str  # the whole audience question, shown when the topic heading had to cut it ("" if not)
    who: str  # the speaker's display name, else "Panelist AC"
    cite: str  # ", answering question 9" (and "· source 2" when the pack quotes several documents)


@dataclass(frozen=True)
class _Handout:
    title: str
    when: date
    intro: str  # "3 passages from “Title”, with space for your notes."
    sources: list[str]  # each document once; listed, numbered, when there are several
    speakers: list[tuple[str, str]]  # who spoke: (name or "Panelist AC", role)
    entries: list[_Entry]
    glossary: list[tuple[str, str]]  # (acronym as the passages write it, expansion), used ones only


_TEXT_FIELDS = [f.name for f in fields(PackItem) if f.name != "question_number"]


def _speaker_finder(speakers: Speakers):
    """(source, initials) -> the Speaker given for them, or None. Keys may be (source, initials),
    initials alone, or a list of Speakers (a one-document pack)."""
    by_doc, by_initials = {}, {}
    if isinstance(speakers, Mapping):
        for key, speaker in speakers.items():
            (by_doc if isinstance(key, tuple) else by_initials)[key] = speaker
    else:
        by_initials = {s.initials: s for s in speakers or ()}
    return lambda source, initials: by_doc.get((source, initials)) or by_initials.get(initials)


def _plan(items: list[PackItem], title: str, when: date | None, speakers: Speakers,
          glossary: Mapping[str, str] | None) -> _Handout:
    when = when or date.today()
    title = " ".join(clean_text(title).split()) or DEFAULT_TITLE
    # Text from the library is clean already; a note typed in, or an item built by hand, may not be:
    # cleaned here, nothing reaches the Word file that XML 1.0 cannot hold.
    items = [replace(i, **{f: clean_text(getattr(i, f)) for f in _TEXT_FIELDS}) for i in items]
    documents = list(dict.fromkeys(i.source for i in items))
    labels = {i.source: i.source_label for i in reversed(items)}
    several = len(documents) > 1
    if len(documents) == 1:
        where = f" from “{items[0].title or items[0].source}”"  # the one mention of the document
    else:
        where = f" from {len(documents)} documents" if documents else ""
    intro = f"{plural(len(items), 'passage')}{where}, with space for your notes."

    find = _speaker_finder(speakers)
    people: dict[tuple[str, str], tuple[str, str]] = {}
    entries = []
    for n, item in enumerate(items, start=1):
        given = find(item.source, item.speaker) or Speaker(item.speaker)
        name = display_name(given.name, item.speaker) or item.speaker_name
        who = name or f"Panelist {item.speaker}"  # never a guessed name: initials when none was given
        tag = f" · source {documents.index(item.source) + 1}" if several else ""
        shown = f"{who} (source {documents.index(item.source) + 1})" if several else who
        people.setdefault((item.source, item.speaker), (shown, " ".join(given.role.split())))
        whole = " ".join(item.question.split())
        entries.append(_Entry(n, item, whole if item.topic != whole else "", who,
                              f", answering question {item.question_number}{tag}"))

    used: list[tuple[str, str]] = []
    if glossary:
        texts = [t for i in items for t in (i.question, i.text, i.note, i.prompt)]
        keys = find_acronyms(" ".join(texts), glossary)
        spelt = acronym_spellings(texts, {k: glossary[k] for k in keys})
        used = sorted(((spelt.get(k, k), glossary[k]) for k in keys), key=lambda row: row[0].upper())
    return _Handout(title, when, intro, [labels[d] for d in documents] if several else [],
                    list(people.values()), entries, used)


# -- Markdown --------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def md_escape(text: str) -> str:
    """Corpus text shown as written by any Markdown renderer (no accidental emphasis or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(items: list[PackItem], title: str = DEFAULT_TITLE, when: date | None = None,
                note_lines: int = NOTE_LINES, *, speakers: Speakers = None,
                glossary: Mapping[str, str] | None = None) -> str:
    """The pack as a Markdown document: who spoke, one section per passage (topic heading, quote,
    speaker, note, a question to discuss, lines for notes), and the acronyms it uses."""
    h = _plan(items, title, when, speakers, glossary)
    out = [f"# {md_escape(h.title)}", "", f"*Prepared {_long_date(h.when)}. {md_escape(h.intro)}*", ""]
    if h.sources:
        out += ["**Sources**", ""] + [f"{n}. {md_escape(s)}" for n, s in enumerate(h.sources, start=1)] + [""]
    if h.speakers:
        out += ["## Who spoke", ""]
        out += [f"- **{md_escape(who)}**" + (f", {md_escape(role)}" if role else "") for who, role in h.speakers]
        out += [""]
    # The terms up front, beside who spoke: read before the passages, and no page of its own at the end.
    if h.glossary:
        out += ["## Glossary", ""] + [f"- **{md_escape(a)}**: {md_escape(x)}" for a, x in h.glossary] + [""]
    if not items:
        out += ["No passages yet.", ""]
    for e in h.entries:
        out += [f"## {e.n}. {md_escape(e.item.topic)}", ""]
        if e.question:
            out += [f"*Question {e.item.question_number}: {md_escape(e.question)}*", ""]
        out += [f"> {md_escape(e.item.text)}", "", f"— **{md_escape(e.who)}**{md_escape(e.cite)}", ""]
        if e.item.note.strip():
            out += [f"**Note:** {md_escape(e.item.note)}", ""]
        out += [f"**To discuss:** {md_escape(e.item.discussion_prompt)}", "", "**Notes**", ""]
        # A line of underscores is a horizontal rule once rendered: ruled lines to write on.
        for _ in range(note_lines):
            out += ["_" * 60, ""]
    return "\n".join(out).rstrip() + "\n"


# -- Word ------------------------------------------------------------------------------------------
def _border(paragraph, *edges: str, size: int = 6, colour: str = "A0A8B4", space: int = 1) -> None:
    """Draw borders of a paragraph (``edges`` in schema order: top, left, bottom, right, between);
    python-docx has no API for them."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for edge in edges:
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), str(size))
        line.set(qn("w:space"), str(space))
        line.set(qn("w:color"), colour)
        borders.append(line)
    p_pr.insert_element_before(borders, "w:shd", *_AFTER_SHD)


def _shade(paragraph, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    paragraph._p.get_or_add_pPr().insert_element_before(shading, *_AFTER_SHD)


def _page_number(paragraph) -> None:
    """A PAGE field, so the footer counts pages when Word lays the document out."""
    run = paragraph.add_run()
    for tag, attrs in (("w:fldChar", {"w:fldCharType": "begin"}),
                       ("w:instrText", {"xml:space": "preserve"}),
                       ("w:fldChar", {"w:fldCharType": "separate"}),
                       ("w:t", {}),
                       ("w:fldChar", {"w:fldCharType": "end"})):
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        if tag == "w:instrText":
            el.text = "PAGE"
        elif tag == "w:t":
            el.text = "1"
        run._r.append(el)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    normal.font.color.rgb = _INK
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Title", 24), ("Heading 1", 13), ("Heading 2", 12)):  # 13: a topic fits a line
        style = doc.styles[name]
        style.font.name = "Calibri"
        style.font.size = Pt(size)
        style.font.color.rgb = _INK if name == "Title" else RGBColor(0x1D, 0x4E, 0xD8)
    quote = doc.styles["Quote"]
    quote.font.name = "Georgia"
    quote.font.size = Pt(12)
    quote.font.italic = False
    quote.font.color.rgb = _INK
    fmt = quote.paragraph_format
    fmt.left_indent = Cm(0.6)
    fmt.right_indent = Cm(0.4)
    fmt.space_before = Pt(6)
    fmt.space_after = Pt(8)
    fmt.line_spacing = 1.2


def _line(doc, label: str, text: str, *, muted: bool = False, size: float | None = None, keep: bool = True):
    """A paragraph: a bold label, then text (line breaks in ``text`` kept); small and grey if muted."""
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = keep
    runs = [p.add_run(label), p.add_run(text)] if label else [p.add_run(text)]
    if label:
        runs[0].bold = True
    for run in runs:
        if muted:
            run.font.color.rgb = _MUTED
        if size:
            run.font.size = Pt(size)
    return p


def to_docx(items: list[PackItem], title: str = DEFAULT_TITLE, when: date | None = None,
            note_lines: int = NOTE_LINES, *, speakers: Speakers = None,
            glossary: Mapping[str, str] | None = None) -> bytes:
    """The pack as a Word handout: title, date and source; who spoke; per passage a topic heading,
    the quote (shaded, with a bar at its left), the speaker, the note, a question to discuss and
    ruled lines for notes; then a glossary of the acronyms the passages use."""
    h = _plan(items, title, when, speakers, glossary)
    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as NHS handouts are
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    section.top_margin = section.bottom_margin = Cm(2.0)

    props = doc.core_properties
    props.title, props.subject, props.author = h.title, SUBJECT, "panelsearch"
    props.keywords = "; ".join(dict.fromkeys([*(e.item.title or e.item.source for e in h.entries), "discussion pack"]))

    footer = section.footer.paragraphs[0]
    footer.text = f"{h.title} · page "
    _page_number(footer)
    for run in footer.runs:
        run.font.size, run.font.color.rgb = Pt(9), _MUTED

    doc.add_paragraph(h.title, style="Title")
    _line(doc, "", f"Prepared {_long_date(h.when)}  ·  {h.intro}", muted=True, size=10, keep=False)
    for n, source in enumerate(h.sources, start=1):
        _line(doc, f"Source {n}:  ", source, muted=True, size=10, keep=False).paragraph_format.space_after = Pt(2)
    if h.speakers:
        doc.add_heading("Who spoke", level=2).paragraph_format.keep_with_next = True
        for who, role in h.speakers:
            p = _line(doc, who, f"  ·  {role}" if role else "", keep=False)
            p.paragraph_format.space_after = Pt(2)
    if h.glossary:  # up front, as in the Markdown
        doc.add_heading("Glossary", level=2).paragraph_format.keep_with_next = True
        for acronym, expansion in h.glossary:
            _line(doc, acronym, f"  ·  {expansion}", keep=False).paragraph_format.space_after = Pt(2)
    if not items:
        doc.add_paragraph("No passages yet.")

    for e in h.entries:
        heading = doc.add_heading(f"{e.n}.  {e.item.topic}", level=1)
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.space_before = Pt(18)
        if e.question:
            _line(doc, f"Question {e.item.question_number}:  ", e.question, muted=True, size=9.5).runs[1].italic = True

        quote = doc.add_paragraph(style="Quote")
        quote.add_run(f"“{' '.join(e.item.text.split())}”")
        quote.paragraph_format.keep_with_next = True
        _border(quote, "left", size=24, colour=_ACCENT, space=8)
        _shade(quote, "EEF2F7")

        cite = _line(doc, f"— {e.who}", e.cite, muted=True, size=9.5)
        cite.paragraph_format.space_after = Pt(8)
        if e.item.note.strip():
            _line(doc, "Note:  ", e.item.note.strip())
        _line(doc, "To discuss:  ", e.item.discussion_prompt)

        notes = doc.add_heading("Notes", level=2)
        notes.paragraph_format.keep_with_next = True
        for line in range(note_lines):
            ruled = doc.add_paragraph()
            ruled.paragraph_format.space_after = ruled.paragraph_format.space_before = Pt(0)
            ruled.paragraph_format.line_spacing = Pt(26)  # exact height: evenly spaced lines
            if line < note_lines - 1:
                ruled.paragraph_format.keep_with_next = True
            # Word and LibreOffice merge runs of paragraphs with equal borders into one box: "between"
            # draws the inner lines, "bottom" the last.
            _border(ruled, "bottom", "between", size=4, colour="A0A8B4")

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
