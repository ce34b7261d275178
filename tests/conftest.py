"""Shared fixtures and helpers: the real seed, the real bundled model, one index built per session, a
library of two documents, generated documents in every format, and the browser.

Test modules import shared things from here (or tests/browser_util.py), never from one another.
"""
import json
import os
import re
from pathlib import Path

import pytest

from panelsearch.embed import HashEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "coproduction-qi-webinar-qa.txt"


# -- tiers ----------------------------------------------------------------------------------------
# `make check` runs -m "not browser and not slow" (docs/testing.md). Tests are marked slow where they
# are written, except that tests using these fixtures are slow whoever wrote them: the fixture
# takes seconds.
SLOW_FIXTURES = {
    "dev_report",  # tests/test_quality.py: the whole dev set evaluated in every mode
}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Mark the users of SLOW_FIXTURES before -m picks the tests; afterwards, with
    PANELSEARCH_SHARD=i/n, keep every n-th picked test from the i-th (`make check` runs two such
    processes at once, one per core)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    result = yield
    shard = os.environ.get("PANELSEARCH_SHARD")
    if shard:
        i, n = (int(part) for part in shard.split("/"))
        config.hook.pytest_deselected(items=[item for k, item in enumerate(items) if k % n != i - 1])
        items[:] = [item for k, item in enumerate(items) if k % n == i - 1]
    return result


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_doc():
    from panelsearch.readers.txt import parse_file

    return parse_file(SEED)


@pytest.fixture(scope="session")
def embedder():
    from panelsearch.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder):
    """(corpus_dir, index_dir) of an index built once from the seed with the real model."""
    from panelsearch.index import build_index

    base = tmp_path_factory.mktemp("built")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    index = base / "index"
    build_index(corpus, index, embedder)
    return corpus, index


def seed_plus(base: Path, built_index, embedder, files: dict[str, str]):
    """(corpus, index) in `base`: the session's seed corpus plus `files` (name -> text), built with
    the real model; the seed's vectors are reused from the session index."""
    import shutil

    from panelsearch.index import build_index

    corpus = base / "corpus"
    shutil.copytree(built_index[0], corpus)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    shutil.copytree(built_index[1], base / "index")
    build_index(corpus, base / "index", embedder)
    return corpus, base / "index"


@pytest.fixture(scope="session")
def searcher(built_index, embedder):
    from panelsearch.search import Searcher

    corpus, index = built_index
    return Searcher.load(index, embedder=embedder, corpus_dir=corpus)


# -- a library of two documents (the page tests and the browser tests) ------------------------------
PANEL_MD = """# Running a patient panel: questions and answers

Date: 3 March 2024
Event: Patient involvement network, spring meeting

## 1. How often should the panel meet?

**JB:** Monthly worked for us. Fewer meetings lost momentum, and more left no time to act between them.

**AC:** We meet every six weeks, and publish the dates a year ahead so members can plan around caring duties.

## 2. Should panel members be paid for their time?

**AC:** Yes: pay for time and preparation at a fair hourly rate, and cover travel on the day.

**JB:** Agree, and ask each member how they would like to be paid, since payments can affect benefits.
"""
PANEL_META = {"speakers": {"JB": {"name": "Jo Bloggs", "role": "Patient panel chair"}}}
PANEL, SEED_SOURCE = "patient-panel", "coproduction-qi-webinar-qa"
PANEL_TITLE = "Running a patient panel: questions and answers"


@pytest.fixture(scope="session")
def two_docs(tmp_path_factory, built_index, embedder):
    """(corpus, index) of the seed plus a Markdown Q&A whose speakers include another "AC" and a named JB."""
    return seed_plus(tmp_path_factory.mktemp("library"), built_index, embedder,
                     {f"{PANEL}.md": PANEL_MD, f"{PANEL}.meta.json": json.dumps(PANEL_META)})


# -- documents in every format, generated from rows ---------------------------------------------
def table_rows(doc, inline: tuple[int, ...] = (2,)) -> list[tuple[str, str, list[str]]]:
    """(number, question, answer paragraphs) per question; those in ``inline`` hold every speaker
    in one paragraph ("SK: ... AC: ..."), the others one paragraph per speaker."""
    rows = []
    for q in doc.questions:
        said = [f"{a.speaker}: {a.text}" for a in q.answers]
        rows.append((str(q.number), q.text, [" ".join(said)] if q.number in inline else said))
    return rows


def make_pdf(rows, path: Path, ruled: bool = True, heading: str = "", page_height: float = 200) -> dict:
    """Write rows as a PDF table with a repeated header; return facts about the layout to check.

    The page is short, so the tallest row cannot fit on one page and must break across pages.
    """
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    style = ParagraphStyle("cell", fontName="Helvetica", fontSize=9, leading=11)
    cells = [["#", "Question", "Answer"]] + [
        [number, Paragraph(escape(question), style), [Paragraph(escape(s), style) for s in said]]
        for number, question, said in rows]
    widths = [30, 230, 500]  # wide enough for the seed's 109-character URL on one line
    table = Table(cells, colWidths=widths, repeatRows=1, splitInRow=1)
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    if ruled:
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    table.setStyle(TableStyle(commands))
    table.wrap(sum(widths), 10**6)
    tallest = max(table._rowHeights)
    story = [Paragraph(escape(heading), ParagraphStyle("h", fontName="Helvetica-Bold", fontSize=14, leading=18))] \
        if heading else []
    template = SimpleDocTemplate(str(path), pagesize=(842, page_height), topMargin=36, bottomMargin=36)
    template.build(story + [table])
    return {"tallest_row": tallest, "frame_height": template.height}


def make_docx(rows, path: Path, heading: str = "", split_row: str | None = None):
    """Write rows as a Word table, its header row marked to repeat, a paragraph per answer paragraph.

    ``split_row`` breaks that question's answer over two table rows, the second with no number.
    """
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    word = docx.Document()
    if heading:
        word.add_heading(heading, level=1)
        word.add_paragraph("Date: 17 June 2021")
        word.add_paragraph("Questions from the audience, answered by the panel.")
    table = word.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["No.", "Question", "Answer"]):
        cell.text = text
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)

    def fill(cell, paragraphs):
        cell.text = paragraphs[0]
        for text in paragraphs[1:]:
            cell.add_paragraph(text)

    for number, question, said in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = number, question
        if number == split_row:
            words = said[0].split(" ")
            fill(cells[2], [" ".join(words[: len(words) // 2])])
            fill(table.add_row().cells[2], [" ".join(words[len(words) // 2:])] + said[1:])
        else:
            fill(cells[2], said)
    word.save(str(path))


def make_markdown(doc, title: str = "", wrap: int = 70) -> str:
    """doc's questions typed up in the README's Markdown format, lines wrapped at spaces."""
    def wrapped(text):
        lines, line = [], ""
        for word in text.split(" "):
            if line and len(line) + 1 + len(word) > wrap:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        return "\n".join(lines + [line])

    out = [f"# {title}", "", "Date: 17 June 2021", "Event: Co-production webinar", "",
           "An introduction that is not searched.", ""] if title else []
    for q in doc.questions:
        out += [f"## {q.number}. {q.text}", ""]
        for a in q.answers:
            out += [wrapped(f"**{a.speaker}:** {a.text}"), ""]
    return "\n".join(out)


def readme_block(language: str) -> str:
    """The README's example of a ``language`` block in "Adding documents"."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Adding documents"):]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


# -- the browser tests ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium (Playwright cannot download browsers here), one per module."""
    from playwright.sync_api import sync_playwright

    from tests.browser_util import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class CountingEmbedder(HashEmbedder):
    """The deterministic fake embedder, recording every text it is asked to embed."""

    def __init__(self, dim: int = 64):
        super().__init__(dim)
        self.texts: list[str] = []

    def encode(self, texts, batch_size=32):
        self.texts.extend(texts)
        return super().encode(texts, batch_size)
