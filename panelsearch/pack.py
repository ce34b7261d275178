"""Discussion pack: passages a reader collected, written out as Markdown or a Word handout.

Pure functions: a list of ``PackItem`` (and a title and a date) in, a ``str`` or docx ``bytes`` out.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .models import QuestionRecord, passage_id

DEFAULT_TITLE = "Discussion pack"
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


@dataclass(frozen=True)
class PackItem:
    """One quoted passage and where it came from."""

    passage_id: str
    source: str  # the source document (file stem)
    question_number: int
    question: str
    speaker: str
    text: str
    title: str = ""  # the source document's title, when it has one
    speaker_name: str = ""  # the speaker's display name from the document's metadata, when it has one

    @classmethod
    def from_hit(cls, hit) -> "PackItem":
        return cls(passage_id=hit.passage_id, source=hit.source, question_number=hit.question_number,
                   question=hit.question, speaker=hit.speaker, text=hit.text, title=hit.title,
                   speaker_name=_name(hit.speaker_name, hit.speaker))

    @classmethod
    def from_passage(cls, passage, title: str = "", speaker_name: str = "") -> "PackItem":
        """From an index ``Passage`` (browsing, where there is no search hit)."""
        return cls(passage_id=passage.passage_id, source=passage.source, question_number=passage.question_number,
                   question=passage.question, speaker=passage.speaker, text=passage.text, title=title,
                   speaker_name=_name(speaker_name, passage.speaker))

    @classmethod
    def whole_answer(cls, question: QuestionRecord, speaker: str, text: str, speaker_name: str = "") -> "PackItem":
        """A speaker's whole answer to a question, as one item."""
        return cls(passage_id=passage_id(question.source, question.number, speaker, "all"),
                   source=question.source, question_number=question.number,
                   question=question.question, speaker=speaker, text=text, title=question.title,
                   speaker_name=_name(speaker_name, speaker))

    @property
    def speaker_label(self) -> str:
        """Who said it: the display name where the metadata gives one, else the initials."""
        return self.speaker_name or self.speaker

    @property
    def speaker_cite(self) -> str:
        """``Jo Bloggs (JB)`` when there is a name, else ``JB``."""
        return f"{self.speaker_name} ({self.speaker})" if self.speaker_name else self.speaker

    @property
    def source_label(self) -> str:
        """The source document, its title added when it says more than the file name."""
        plain = re.sub(r"[\W_]+", " ", self.source).strip().lower()
        if self.title and re.sub(r"[\W_]+", " ", self.title).strip().lower() != plain:
            return f"{self.title} ({self.source})"
        return self.source


def _name(name: str, initials: str) -> str:
    """A display name worth keeping: not empty and not just the initials again."""
    name = " ".join((name or "").split())
    return "" if name == initials else name


# -- editing a pack (lists in, new lists out) ----------------------------------------------------
def add(items: list[PackItem], item: PackItem) -> list[PackItem]:
    """The pack with ``item`` at the end; a passage already in it is not added twice."""
    return list(items) if any(i.passage_id == item.passage_id for i in items) else [*items, item]


def remove(items: list[PackItem], passage_id: str) -> list[PackItem]:
    return [i for i in items if i.passage_id != passage_id]


def move(items: list[PackItem], passage_id: str, offset: int) -> list[PackItem]:
    """The pack with one item moved ``offset`` places (clamped to the ends)."""
    items = list(items)
    at = next((n for n, i in enumerate(items) if i.passage_id == passage_id), None)
    if at is None:
        return items
    item = items.pop(at)
    items.insert(min(max(at + offset, 0), len(items)), item)
    return items


def contains(items: list[PackItem], passage_id: str) -> bool:
    return any(i.passage_id == passage_id for i in items)


def file_name(title: str, when: date, extension: str) -> str:
    """``co-production-in-quality-improvement-discussion-pack-2026-11-26.docx``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "discussion-pack"
    return f"{slug}-{when.isoformat()}.{extension}"


def _long_date(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


def _intro(items: list[PackItem]) -> str:
    """'3 passages from “Title”, with space for your notes.' (or 'from 2 documents')."""
    count = len(items)
    sources = list(dict.fromkeys(i.source for i in items))
    if len(sources) == 1:
        where = f"from “{items[0].title or items[0].source}”"
    elif sources:
        where = f"from {len(sources)} documents"
    else:
        where = "from the panel's answers"
    return f"{count} passage{'s' if count != 1 else ''} {where}, with space for your notes."


# -- Markdown --------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def md_escape(text: str) -> str:
    """Corpus text shown as written by any Markdown renderer (no accidental emphasis or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(items: list[PackItem], title: str = DEFAULT_TITLE, when: date | None = None,
                note_lines: int = NOTE_LINES) -> str:
    """The pack as a Markdown document: one numbered section per passage, each with lines for notes."""
    when = when or date.today()
    title = " ".join(title.split()) or DEFAULT_TITLE
    out = [f"# {md_escape(title)}", "", f"*Prepared {_long_date(when)}. {md_escape(_intro(items))}*", ""]
    if not items:
        out += ["No passages yet.", ""]
    for n, item in enumerate(items, start=1):
        out += [
            f"## {n}. Q{item.question_number} · {md_escape(item.speaker_label)}",
            "",
            f"**Question {item.question_number}:** {md_escape(item.question)}",
            "",
            f"> {md_escape(item.text)}",
            "",
            f"— **{md_escape(item.speaker_cite)}**, answering question {item.question_number} · "
            f"Source: {md_escape(item.source_label)}",
            "",
            "**Notes**",
            "",
        ]
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
    for name, size in (("Title", 24), ("Heading 1", 14), ("Heading 2", 12)):
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


def to_docx(items: list[PackItem], title: str = DEFAULT_TITLE, when: date | None = None,
            note_lines: int = NOTE_LINES) -> bytes:
    """The pack as a Word handout: title and date, then per passage a heading, the question, the
    quote (shaded, with a bar at its left), the speaker and source, and ruled lines for notes."""
    when = when or date.today()
    title = " ".join(title.split()) or DEFAULT_TITLE
    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as NHS handouts are
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    section.top_margin = section.bottom_margin = Cm(2.0)

    props = doc.core_properties
    props.title, props.subject, props.author = title, SUBJECT, "panelsearch"
    props.keywords = "; ".join(dict.fromkeys([*(i.title or i.source for i in items), "discussion pack"]))

    footer = section.footer.paragraphs[0]
    footer.text = f"{title} · page "
    _page_number(footer)
    for run in footer.runs:
        run.font.size, run.font.color.rgb = Pt(9), _MUTED

    doc.add_paragraph(title, style="Title")
    meta = doc.add_paragraph()
    meta_run = meta.add_run(f"Prepared {_long_date(when)}  ·  {_intro(items)}")
    meta_run.font.color.rgb, meta_run.font.size = _MUTED, Pt(10)
    if not items:
        doc.add_paragraph("No passages yet.")

    for n, item in enumerate(items, start=1):
        heading = doc.add_heading(f"{n}.  Q{item.question_number}  ·  {item.speaker_label}", level=1)
        heading.paragraph_format.keep_with_next = True
        if n > 1:
            heading.paragraph_format.space_before = Pt(18)

        asked = doc.add_paragraph()
        asked.paragraph_format.keep_with_next = True
        label = asked.add_run(f"Question {item.question_number}:  ")
        label.bold = True
        asked.add_run(" ".join(item.question.split())).italic = True

        quote = doc.add_paragraph(style="Quote")
        quote.add_run(f"“{' '.join(item.text.split())}”")
        quote.paragraph_format.keep_with_next = True
        _border(quote, "left", size=24, colour=_ACCENT, space=8)
        _shade(quote, "EEF2F7")

        cite = doc.add_paragraph()
        cite.paragraph_format.keep_with_next = True
        who = cite.add_run(f"— {item.speaker_cite}")
        who.bold = True
        rest = cite.add_run(f", answering question {item.question_number}  ·  Source: {item.source_label}")
        for run in (who, rest):
            run.font.size, run.font.color.rgb = Pt(9.5), _MUTED

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
