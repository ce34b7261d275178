"""The PDF format: the Q&A table itself (pdfplumber), page by page; pages closed as they are read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Document
from ..text import clean_text
from .common import FIELD_RE, shorten, title_from_stem
from .tables import (ANSWER_HEADS, HEADER_WORDS, QUESTION_HEADS, ROW_NUMBER_RE, TABLE_EXPECTED, Row, as_text,
                     head, join_cell_lines, preamble, table_questions)

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
        raise ParseError(path.name, 0, f"not a readable PDF ({shorten(str(cause), 80)}): {TABLE_EXPECTED}") from None


def _read_pdf(pdf, path: Path) -> Document:
    name = path.name
    if len(pdf.pages) > config.MAX_PDF_PAGES:
        raise ParseError(name, 0, f"too large or too complex to read safely: more than {config.MAX_PDF_PAGES:,} "
                                  "pages; split the document")
    columns: _Columns | None = None
    rows: list[Row] = []
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
        return as_text(name, path, "\n".join(texts))
    questions = table_questions(name, rows)
    info = preamble([text for _, text in above])
    title = _pdf_title(above) or clean_text(_pdf_meta_title(pdf.metadata)) or title_from_stem(path.stem)
    return Document(source=path.stem, title=title, questions=questions, path=str(path),
                    date=info.get("date", ""), event=info.get("event", ""))


def _pdf_headers(words: list[dict]) -> list[tuple[dict, dict]]:
    """(Question word, Answer word) of each header line on a page, top first.

    A header line holds nothing but header words, so "each question gets an answer" is not one.
    """
    found = []
    for q in sorted((w for w in words if head(w["text"]) in QUESTION_HEADS), key=lambda w: w["top"]):
        line = [w for w in words if abs(w["top"] - q["top"]) < 3]
        a = next((a for a in line if head(a["text"]) in ANSWER_HEADS and a["x0"] > q["x1"]), None)
        if a is not None and all(head(w["text"]) in HEADER_WORDS for w in line):
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


def _pdf_rows(page, page_no: int, cols: _Columns, top: float, bottom: float, headers) -> list[Row]:
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
        rows.append(Row(page_no, f"page {page_no}, row {row_no}", " ".join(number), asked, said))
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
