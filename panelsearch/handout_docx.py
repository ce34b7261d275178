"""The Word handout: the plan handout.py makes (``Handout``), written with python-docx.

A4, Calibri with Georgia quotes; each quote shaded with a bar at its left, ruled lines for notes, a
page number in the footer. Word refuses a file whose XML is out of schema order, so the few
properties python-docx has no API for (borders, shading, cell shading) are put in their place here.
"""
from __future__ import annotations

import io

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .handout import AGREE_HEADING, BOTH_LABEL, NO_PAIRS, SUBJECT, Agreed, Handout, long_date, see_earlier

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
_QUOTE_FILL = "EEF2F7"


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


def _quote_cell(cell) -> None:
    """A table cell drawn as a quote: shaded, with the accent bar at its left. After w:tcW, in schema
    order (w:tcBorders, then w:shd): python-docx writes nothing else into a cell's w:tcPr here."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders, bar = OxmlElement("w:tcBorders"), OxmlElement("w:left")
    for name, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "0"), ("w:color", _ACCENT)):
        bar.set(qn(name), value)
    borders.append(bar)
    shading = OxmlElement("w:shd")
    for name, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", _QUOTE_FILL)):
        shading.set(qn(name), value)
    tc_pr.append(borders)
    tc_pr.append(shading)


def _agreed(doc, a: Agreed) -> None:
    """Where they agree: "Both said" pairs side by side (a table row each), then what only one said."""
    heading = doc.add_heading(AGREE_HEADING, level=2)
    heading.paragraph_format.keep_with_next = True
    _line(doc, "", a.intro, muted=True, size=9.5).runs[0].italic = True
    _line(doc, BOTH_LABEL, "").paragraph_format.space_after = Pt(3)
    if not a.both:
        _line(doc, "", NO_PAIRS, size=10.5, keep=False)
    else:
        table = doc.add_table(rows=0, cols=2)
        table.autofit = False
        # White between the shaded cells (two quotes, not one box), and the bars on the text's margin
        # (a table otherwise starts a cell margin to its left); in schema order, before w:tblBorders.
        for tag, width in (("w:tblCellSpacing", "80"), ("w:tblInd", "108")):
            setting = OxmlElement(tag)
            setting.set(qn("w:w"), width)
            setting.set(qn("w:type"), "dxa")
            table._tbl.tblPr.insert_element_before(setting, "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar",
                                                   "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
        for pair in a.both:
            row = table.add_row()
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a pair stays on one page
            for cell, (who, said) in zip(row.cells, pair):
                cell.width = Cm(8.1)  # two, and the spacing, in the 16.6 cm between the margins
                _quote_cell(cell)
                p = cell.paragraphs[0]
                p.paragraph_format.space_after = Pt(2)
                name = p.add_run(who)
                name.bold, name.font.size = True, Pt(9.5)
                quote = cell.add_paragraph().add_run(f"“{said}”")
                quote.font.name, quote.font.size = "Georgia", Pt(10.5)
        doc.add_paragraph().paragraph_format.space_after = Pt(0)  # a line's space under the pairs
    for label, sentences in a.only:
        _line(doc, label, "").paragraph_format.space_after = Pt(3)
        for n, said in enumerate(sentences):
            p = doc.add_paragraph(f"“{said}”", style="List Bullet")
            p.paragraph_format.space_after = Pt(3)
            p.paragraph_format.keep_with_next = n < len(sentences) - 1
            for run in p.runs:
                run.font.name, run.font.size = "Georgia", Pt(10.5)


def write_docx(h: Handout, note_lines: int) -> bytes:
    """The Word handout: title, date and source; who spoke; the glossary; per passage a topic heading,
    the quote (shaded, with a bar at its left), the speaker, the note, a question to discuss, where
    the panelists agree (when planned) and ruled lines for notes."""
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
    _line(doc, "", f"Prepared {long_date(h.when)}  ·  {h.intro}", muted=True, size=10, keep=False)
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
    if not h.entries:
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
        _shade(quote, _QUOTE_FILL)

        cite = _line(doc, f"— {e.who}", e.cite, muted=True, size=9.5)
        cite.paragraph_format.space_after = Pt(8)
        if e.item.note.strip():
            _line(doc, "Note:  ", e.item.note.strip())
        _line(doc, "To discuss:  ", e.item.discussion_prompt)
        if e.agreed:
            _agreed(doc, e.agreed)
        elif e.agreed_at:
            _line(doc, "", see_earlier(e), muted=True, size=9.5).runs[0].italic = True

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
