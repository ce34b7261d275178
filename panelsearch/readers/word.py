"""The Word format (``.docx``): the Q&A table(s), read with python-docx after the package's size is
checked; cell spans clamped and merged cells resolved without python-docx's quadratic ``row.cells``.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Document
from ..text import clean_text
from .common import shorten, title_from_stem
from .tables import (ANSWER_HEADS, QUESTION_HEADS, ROW_NUMBER_RE, TABLE_EXPECTED, Row, as_text, head, preamble,
                     table_questions)

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
    rows: list[Row] = []
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
        return as_text(name, path, "\n".join(paragraphs))
    info = preamble([text for _, text in above])
    heading = next((t for style, t in above if t and style.lower().startswith(("title", "heading"))), "")
    title = heading or clean_text(document.core_properties.title or "").strip() or title_from_stem(path.stem)
    return Document(source=path.stem, title=title, questions=table_questions(name, rows), path=str(path),
                    date=info.get("date", ""), event=info.get("event", ""))


def _unreadable_docx(name: str, err: Exception) -> ParseError:
    return ParseError(name, 0, f"not a readable Word file ({shorten(str(err), 80)}): expected a .docx "
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
        heads = [head(c.text) for c in cells]
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
    rows: list[Row] = []
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
        rows.append(Row(row_no, f"table {table_no}, row {row_no}", " ".join(texts[0]), texts[1], texts[2]))
        above = cells
    return rows, columns
