"""Hostile uploads (issue #13): every reader and the library stay clean, linear and bounded.

Each adversarial file is generated here, small. Each test fails on the code before the hardening:
control characters and non-characters came through, metadata had no bounds, four patterns were
quadratic, a Word table could take gigabytes or raise RecursionError, PDF pages were kept in
memory, a bad upload name ended the whole batch, and misreadings went unsaid.
"""
import json
import os
import re
import shutil
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from panelsearch import config
from panelsearch.readers import common, markdown, metadata, pdf, tables, txt, word
from panelsearch.embed import HashEmbedder
from panelsearch.errors import ParseError
from panelsearch.readers import load_document, parse_markdown
from panelsearch.index import build_index
from panelsearch.library import add_uploads
from panelsearch.readers.txt import parse_text

# What no parsed string may hold: C0/C1 controls but tab and newline, non-characters, lone
# surrogates, invisible marks.
UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\u200b\ufeff]")
TOO_COMPLEX = "too large or too complex to read safely"


def strings_of(doc) -> list[str]:
    out = [doc.source, doc.title, doc.date, doc.event, *doc.warnings]
    out += [s for p in doc.people for s in (p.initials, p.name, p.role)]
    out += [s for q in doc.questions for s in (q.text, *(a.text for a in q.answers), *(a.speaker for a in q.answers))]
    return out


def assert_clean(doc) -> None:
    dirty = [s for s in strings_of(doc) if UNCLEAN.search(s)]
    assert dirty == []


def qa_text(n: int) -> str:
    return "".join(f"{i} How did team {i} start?\nAC: Team {i} started small.\n" for i in range(1, n + 1))


def write_meta(path: Path, meta) -> Path:
    path.write_text(meta if isinstance(meta, str) else json.dumps(meta), encoding="utf-8")
    return path


# -- 1. clean text at the door ------------------------------------------------------------------

DIRTY = "Pay\ufffe experts\uffff\u200b by \x9b31mexperience\x07."


@pytest.mark.parametrize("name, text", [
    ("panel.txt", f"1 How do we pay?\nAC: {DIRTY}\n"),
    ("panel.md", f"# Panel\n\n## 1. How do we pay?\n\n**AC:** {DIRTY}\n"),
])
def test_noncharacters_and_controls_never_reach_a_document(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    assert_clean(doc)
    assert doc.questions[0].answers[0].text == "Pay experts by 31mexperience ."


def test_metadata_strings_are_cleaned(tmp_path):
    (tmp_path / "panel.txt").write_text("1 How do we pay?\nAC: From the budget.\n", encoding="utf-8")
    # Escapes in the JSON text: an OSC 52 (clipboard) sequence, a bell, a lone surrogate, U+FFFE.
    write_meta(tmp_path / "panel.meta.json", '{"title": "Panel \\u001b]52;c;aGk=\\u0007Q&A", "date": "\\ud8002021",'
                                             ' "event": "Web\\ufffeinar",'
                                             ' "speakers": {"AC": {"name": "Amy\\u001b[2J Carter", "role": "\\udfffLead"}}}')
    doc = load_document(tmp_path / "panel.txt")
    assert_clean(doc)
    assert (doc.title, doc.date, doc.event) == ("Panel  ]52;c;aGk= Q&A", "2021", "Webinar")
    assert (doc.people[0].name, doc.people[0].role) == ("Amy [2J Carter", "Lead")


def test_word_cells_and_paragraphs_are_cleaned(tmp_path):
    import docx

    word = docx.Document()
    word.add_heading("Panel \x85 notes\x9d", level=1)  # C1 controls: XML allows them, a terminal obeys them
    table = word.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells + table.rows[1].cells,
                          ["No.", "Question", "Answer", "1", "How do we \x9bpay?", "AC: From the \x90budget."]):
        cell.text = text
    word.save(str(tmp_path / "panel.docx"))
    doc = load_document(tmp_path / "panel.docx")
    assert_clean(doc)
    assert (doc.title, doc.questions[0].text) == ("Panel   notes", "How do we pay?")


def test_word_export_of_cleaned_passages_does_not_raise(tmp_path):
    from panelsearch.handout import to_docx
    from panelsearch.pack import PackItem

    (tmp_path / "panel.txt").write_text(f"1 How do we \uffffpay?\nAC: {DIRTY}\n", encoding="utf-8")
    write_meta(tmp_path / "panel.meta.json", '{"title": "T\\u0001itle\\ud800", "speakers": {"AC": "Amy\\u0000 C"}}')
    doc = load_document(tmp_path / "panel.txt")
    assert_clean(doc)
    q, a = doc.questions[0], doc.questions[0].answers[0]
    item = PackItem(passage_id=f"{doc.source}:q01:AC:1", source=doc.source, question_number=q.number, question=q.text,
                    speaker=a.speaker, text=a.text, title=doc.title, speaker_name=doc.people[0].name)
    assert to_docx([item], title=doc.title)[:2] == b"PK"  # XML-incompatible strings made python-docx raise


# -- 2. metadata bounds; questions capped in every format ----------------------------------------

@pytest.mark.parametrize("meta, message", [
    ({"title": "x" * 2000}, "panel.meta.json:1: 'title' is 2,000 characters long; at most 300"),
    ({"event": "x" * 301}, "panel.meta.json:1: 'event' is 301 characters long; at most 300"),
    ({"date": "1" * 101}, "panel.meta.json:1: 'date' is 101 characters long; at most 100"),
    ({"speakers": {"AC": "n" * 150}}, "panel.meta.json:1: speaker 'AC': 'name' is 150 characters long; at most 100"),
    ({"speakers": {"AC": {"name": "A", "role": "r" * 201}}},
     "panel.meta.json:1: speaker 'AC': 'role' is 201 characters long; at most 200"),
    ({"title": "x" * 70_000}, "panel.meta.json:0: the metadata file is 70,013 bytes; at most 65,536"),
    ('{"title": "a", "event": ' + "[" * 30_000 + "]" * 30_000 + "}", "panel.meta.json:1: nested too deeply"),
])
def test_metadata_over_a_bound_is_a_parse_error(tmp_path, meta, message):
    (tmp_path / "panel.txt").write_text("1 How do we pay?\nAC: From the budget.\n", encoding="utf-8")
    write_meta(tmp_path / "panel.meta.json", meta)
    with pytest.raises(ParseError) as err:
        load_document(tmp_path / "panel.txt")
    assert str(err.value).startswith(message)


def test_metadata_field_line_is_named(tmp_path):
    (tmp_path / "panel.txt").write_text("1 How do we pay?\nAC: From the budget.\n", encoding="utf-8")
    write_meta(tmp_path / "panel.meta.json", '{\n  "date": "2021",\n  "title": "' + "t" * 301 + '"\n}')
    with pytest.raises(ParseError, match=r"^panel.meta.json:3: 'title' is 301 characters long; at most 300$"):
        load_document(tmp_path / "panel.txt")


@pytest.mark.parametrize("name, text", [
    ("many.txt", qa_text(2001)),
    ("many.md", "".join(f"## {i}. How did team {i} start?\n**AC:** Small.\n" for i in range(1, 2002))),
])
def test_more_questions_than_the_cap_is_a_parse_error(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=rf"^{re.escape(name)}:4001: more than 2,000 questions"):
        load_document(tmp_path / name)


def test_table_formats_cap_questions_too(tmp_path, monkeypatch):
    word_table(tmp_path / "four.docx", [["No.", "Question", "Answer"]] +
               [[str(i), f"How did team {i} start?", "AC: Small."] for i in range(1, 5)])
    assert len(load_document(tmp_path / "four.docx").questions) == 4
    monkeypatch.setattr(config, "MAX_QUESTIONS", 3)
    with pytest.raises(ParseError, match=r"^four.docx:5: more than 3 questions"):
        load_document(tmp_path / "four.docx")


# -- 3. linear-time patterns --------------------------------------------------------------------

UNITS = ["[a](", "<http://", "**a ", "*a ", "__a ", "_a ", " ", "a", "#", "1 ", "AC: ", "**AC:** ", "[", "(", "](",
         "-", "- ", "*", "_", "www.", "https://x/", "Q", "Q1 ", "<!--", "-->", "<", ":", "\t", "a-", "a\n", " \n",
         "1\n", "\n", "A", "1", "\\", "**", "__", "é"]
SIZE = 100_000


def adversarial_strings() -> dict[str, str]:
    found = {repr(u[:12]): u * (SIZE // len(u)) for u in UNITS}
    spaces = " " * SIZE
    found.update({
        "## + spaces": "## " + spaces, "# + spaces + x": "# " + spaces + "x", "## + spaces + #": "## a" + spaces + "#",
        "Date: a + spaces + b": "Date: a" + spaces + "b", "**Date:** + spaces + x": "**Date:**" + spaces + "x",
        "AC: + spaces + x": "AC:" + spaces + "x", "1 + spaces + x": "1" + spaces + "x",
        "Q + spaces": "Q" + spaces, "- + spaces": "-" + spaces + "x", "<!-- + -->s": "<!--" + "--> " * (SIZE // 4),
        "[a]( + ((": "[a](" + "(" * SIZE, "[ + a": "[" + "a" * SIZE, "http:// + x": "https://" + "x" * SIZE,
        # The same with line breaks: a pattern whose "$" fails at a break must not backtrack over the spaces.
        "## + spaces + breaks": "## " + spaces + "\nx\ny", "Date: + spaces + breaks": "Date: a" + spaces + "\nb\nc",
        "AC: + spaces + breaks": "AC: a" + spaces + "\nb\nc", "1 + spaces + breaks": "1" + spaces + "\nb\nc",
    })
    return found


def module_patterns():
    return [(f"{m.__name__}.{name}", value) for m in (common, markdown, metadata, pdf, tables, txt, word) for name, value in vars(m).items()
            if isinstance(value, re.Pattern)]


@pytest.mark.slow
def test_every_module_pattern_is_linear_on_adversarial_strings():
    patterns = module_patterns()
    assert {"panelsearch.readers.common.FIELD_RE", "panelsearch.readers.markdown.MD_LINK_RE",
            "panelsearch.readers.markdown.MD_AUTOLINK_RE", "panelsearch.readers.markdown.MD_HEADING_RE",
            "panelsearch.readers.txt.QUESTION_RE"} <= {n for n, _ in patterns}
    slow = []
    for label, text in adversarial_strings().items():
        for name, pattern in patterns:
            start = time.perf_counter()
            pattern.search(text)
            pattern.match(text)
            list(pattern.finditer(text))
            took = time.perf_counter() - start
            if took > 1.5:  # the quadratic ones took 29-40 s on 80-160 KB; a linear one takes milliseconds
                slow.append(f"{name} on {label}: {took:.1f} s")
    assert slow == []


def whole_documents() -> dict[str, str]:
    s = adversarial_strings()
    body = "\n".join(s[k] for k in ["'[a]('", "'<http://'", "'**a '", "'*a '", "'__a '", "[a]( + ((", "'www.'"])
    return {
        "hostile.md": ("# " + " " * SIZE + "x\n" + s["Date: a + spaces + b"] + "\n**Speakers:**\n- **AC:** " + s["'[a]('"]
                       + "\n## 1. " + s["'<http://'"] + " ##\n**AC:** " + body + "\n## " + " " * SIZE + "Two?\n**AC:** x\n"
                       + "## 3. Q?" + " " * SIZE + "#\n**NB:** " + s["'**a '"] + "\n"),
        "hostile.txt": ("Date: a" + " " * SIZE + "b\n1 How?" + " " * SIZE + "\nAC: " + body + "\n2" + " " * SIZE + "x?\n"
                        + "4 Skipped?\n" + "AC: a " * (SIZE // 6) + "\n" + "1 " * (SIZE // 2) + "\n"),
    }


@pytest.mark.parametrize("name", ["hostile.md", "hostile.txt"])
def test_whole_adversarial_documents_parse_in_linear_time(name):
    reader = parse_markdown if name.endswith(".md") else parse_text
    text = whole_documents()[name]
    start = time.perf_counter()
    try:
        doc = reader(text, name)
    except ParseError as err:
        assert err.file == name
    else:
        assert doc.questions and all(q.answers for q in doc.questions)
    assert time.perf_counter() - start < 1.5


def test_markdown_headings_and_links_read_as_before():
    doc = parse_markdown("# Panel ##\n\n## 1. Why C#? ##\n**AC:** See [the guide](https://x.org/a) or "
                         "<https://x.org/b>, [https://x.org/c](https://x.org/c).\n", "p.md")
    assert (doc.title, doc.questions[0].text) == ("Panel", "Why C#?")
    assert doc.questions[0].answers[0].text == "See the guide (https://x.org/a) or https://x.org/b, https://x.org/c."


# -- 4. bounded parsing: the worker, zip bombs, Word tables, PDF pages ---------------------------

def word_table(path: Path, rows: list[list[str]], edit=None) -> Path:
    """A .docx holding one table of ``rows``; ``edit(table)`` may change its XML before saving."""
    import docx

    word = docx.Document()
    table = word.add_table(rows=len(rows), cols=len(rows[0]))
    for tr, texts in zip(table._tbl.tr_lst, rows):
        for tc, text in zip(tr.tc_lst, texts):
            tc.p_lst[0].append(_run(text))
    if edit:
        edit(table)
    word.save(str(path))
    return path


def _run(text: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run, t = OxmlElement("w:r"), OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    return run


def _tc_property(tc, tag: str, value: str | None):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    if value is not None:
        element.set(qn("w:val"), value)
    tc.get_or_add_tcPr().append(element)


def child_processes() -> list[str]:
    """The command lines of this process's children, but multiprocessing's resource tracker."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            if int(fields.get("PPid", "0")) == os.getpid():
                command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if "resource_tracker" not in command:
                    found.append(command)
        except (OSError, ValueError):
            continue  # the process ended while being read
    return found


@pytest.mark.slow
def test_worker_returns_the_document_and_the_reader_errors(tmp_path, seed_path):
    from panelsearch.worker import parse_bounded, run_bounded

    shutil.copy(seed_path, tmp_path / "seed.txt")
    write_meta(tmp_path / "seed.meta.json", {"title": "Seed", "speakers": {"AC": "Amy Carter"}})
    parsed = run_bounded(tmp_path / "seed.txt")
    assert parsed.document == load_document(tmp_path / "seed.txt")
    assert 0 < parsed.peak_rss < config.PARSE_MEMORY_BYTES
    write_meta(tmp_path / "seed.meta.json", {"speakers": {"ZZ": "Nobody"}})
    with pytest.raises(ParseError) as err:
        parse_bounded(tmp_path / "seed.txt")
    assert (err.value.file, err.value.line) == ("seed.meta.json", 1) and "'ZZ' does not answer" in err.value.message
    assert child_processes() == []


@pytest.mark.parametrize("caps, which", [
    ({"memory": "half of what it needs"}, "of memory a reader may use"),
    ({"cpu": 1}, "of processing time a reader may use"),
    ({"timeout": 0.3}, "it was still being read after 0.3 s"),
])
@pytest.mark.slow
def test_worker_caps_end_the_child_with_a_parse_error(tmp_path, caps, which):
    from panelsearch.worker import run_bounded

    path = text_pdf(tmp_path / "long.pdf", pages=60)  # about 2 s of processing
    if caps.get("memory") == "half of what it needs":  # the address space is always larger than the peak RSS
        caps = {"memory": run_bounded(path).peak_rss // 2}
    with pytest.raises(ParseError) as err:
        run_bounded(path, **caps)
    assert (err.value.file, err.value.line) == ("long.pdf", 0)
    assert err.value.message.startswith(TOO_COMPLEX) and which in err.value.message
    assert child_processes() == []


def docx_bomb(path: Path, sizes: list[int]) -> Path:
    """A valid Word Q&A whose document.xml is padded with ``sizes[0]`` MB of spaces, plus further
    parts of ``sizes[1:]`` MB each: each a few hundred KB on disk."""
    source = word_table(path.with_name("plain.docx"), [["No.", "Question", "Answer"], ["1", "How?", "AC: So."]])
    with zipfile.ZipFile(source) as plain, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in plain.infolist():
            data = plain.read(info)
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, data)
                continue
            head, tail = data.split(b"<w:body>")
            with bomb.open(info.filename, "w") as part:
                part.write(head + b"<w:body>")
                for _ in range(sizes[0]):
                    part.write(b" " * 2**20)
                part.write(tail)
        for n, size in enumerate(sizes[1:]):
            with bomb.open(f"word/media/pad{n}.bin", "w") as part:
                for _ in range(size):
                    part.write(b"\0" * 2**20)
    return path


@pytest.mark.parametrize("sizes", [[120], [40, 40, 40]])  # one part over 50 MB; 120 MB in all
def test_docx_zip_bomb_is_refused_before_it_expands(tmp_path, sizes):
    path = docx_bomb(tmp_path / "bomb.docx", sizes)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(ParseError, match=rf"^bomb.docx:0: {TOO_COMPLEX}: it expands to 12\d MB \(at most 100 MB, "
                                         r"and 50 MB for one part\)$"):
        load_document(path)


def test_docx_with_thousands_of_parts_is_refused(tmp_path):
    path = word_table(tmp_path / "parts.docx", [["No.", "Question", "Answer"], ["1", "How?", "AC: So."]])
    with zipfile.ZipFile(path, "a") as package:
        for n in range(config.MAX_DOCX_MEMBERS):
            package.writestr(f"customXml/pad{n}.xml", b"<a/>")
    with pytest.raises(ParseError, match=rf"^parts.docx:0: {TOO_COMPLEX}: it holds 2,0\d\d parts; at most 2,000"):
        load_document(path)


def qa_rows(n: int) -> list[list[str]]:
    return [["No.", "Question", "Answer"]] + [[str(i), f"How did team {i} start?", f"AC: Team {i} started small."]
                                             for i in range(1, n + 1)]


def test_docx_huge_grid_span_is_clamped(tmp_path):
    from panelsearch.worker import run_bounded

    def span(table):  # the answer cell of question 2 claims 30 million columns; the header's Answer, 3 million
        _tc_property(table._tbl.tr_lst[2].tc_lst[2], "w:gridSpan", "30000000")
        _tc_property(table._tbl.tr_lst[0].tc_lst[2], "w:gridSpan", "3000000")

    path = word_table(tmp_path / "span.docx", qa_rows(3), span)
    import docx

    grid = word._word_grid(docx.Document(str(path)).tables[0])
    assert [len(cells) for cells in grid] == [config.MAX_TABLE_COLUMNS, 3, config.MAX_TABLE_COLUMNS, 3]
    # python-docx's row.cells built 30 million cells here: 2.3 GB.
    parsed = run_bounded(path)
    assert [(q.number, q.answers[0].text) for q in parsed.document.questions] == [
        (i, f"Team {i} started small.") for i in (1, 2, 3)]
    assert parsed.peak_rss < 400 * 2**20


def test_docx_thousand_vertically_merged_rows_read_in_linear_time(tmp_path):
    def merge(table):  # question 1's number and question cells run down 1,000 rows
        rows = table._tbl.tr_lst
        for col in (0, 1):
            _tc_property(rows[1].tc_lst[col], "w:vMerge", "restart")
            for tr in rows[2:]:
                _tc_property(tr.tc_lst[col], "w:vMerge", None)  # no value: "continue"

    rows = [["No.", "Question", "Answer"], ["1", "How do we keep going?", "AC: Part 1."]]
    rows += [["", "", f"AC: Part {i}."] for i in range(2, 1001)]
    doc = load_document(word_table(tmp_path / "merged.docx", rows, merge))  # RecursionError after 72 s before
    (question,) = doc.questions
    assert question.text == "How do we keep going?"
    assert [a.text for a in question.answers] == [f"Part {i}." for i in range(1, 1001)]


def test_docx_merge_continued_in_the_first_row_reads_as_a_cell(tmp_path):
    def merge(table):  # nothing above to continue: python-docx raised ValueError
        _tc_property(table._tbl.tr_lst[0].tc_lst[0], "w:vMerge", None)

    doc = load_document(word_table(tmp_path / "first.docx", qa_rows(2), merge))
    assert [q.number for q in doc.questions] == [1, 2]


def text_pdf(path: Path, pages: int) -> Path:
    """A PDF of Q&A text (no table): three questions a page."""
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=(595, 842))
    n = 0
    for _ in range(pages):
        y = 800
        for _ in range(3):
            n += 1
            lines = [f"{n} How did team {n} start working with patients?"]
            lines += [f"AC: We started small with volunteers from clinic {n}."] * 4
            lines += [f"SK: Then we asked the board of clinic {n} to pay for it."] * 4
            for line in lines:
                page.drawString(40, y, line)
                y -= 14
            y -= 10
        page.showPage()
    page.save()
    return path


@pytest.mark.slow
def test_pdf_pages_are_closed_as_they_are_read(tmp_path):
    from panelsearch.worker import run_bounded

    # 100 pages here (4 s); 500 pages measured by hand: 25 s, 82 MB peak, where keeping every page
    # took 2 GB. Kept, these 100 took 430 MB. What the child holds before it reads anything (its
    # imports, and under pytest pytest's own) varies with how the tests are run: measured against a
    # one-page PDF read the same way, the 100 pages may add at most 150 MB.
    baseline = run_bounded(text_pdf(tmp_path / "short.pdf", pages=1)).peak_rss
    parsed = run_bounded(text_pdf(tmp_path / "long.pdf", pages=100))
    assert len(parsed.document.questions) == 300
    assert parsed.peak_rss - baseline < 150 * 2**20, (baseline, parsed.peak_rss)


def test_pdf_pages_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "MAX_PDF_PAGES", 3)
    with pytest.raises(ParseError, match=rf"^long.pdf:0: {TOO_COMPLEX}: more than 3 pages"):
        load_document(text_pdf(tmp_path / "long.pdf", pages=4))


# -- the library: refusals leave it unchanged; names it cannot hold ------------------------------

@pytest.fixture
def library(tmp_path, seed_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / seed_path.name)
    build_index(corpus, index, HashEmbedder())
    return corpus, index


def snapshot(*folders):
    return [{p.name: p.read_bytes() for p in folder.iterdir()} for folder in folders]


@pytest.mark.slow
def test_library_refuses_a_bomb_alone_and_stays_unchanged(library, tmp_path):
    corpus, index = library
    before = snapshot(corpus, index)
    bomb = docx_bomb(tmp_path / "bomb.docx", [120]).read_bytes()
    report = add_uploads([("bomb.docx", bomb)], corpus, index, HashEmbedder())
    assert [(r.file, r.reason) for r in report.refused] == [("bomb.docx", "unreadable")]
    assert TOO_COMPLEX in report.refused[0].message and report.added == []
    assert snapshot(corpus, index) == before
    report = add_uploads([("bomb.docx", bomb), ("good.txt", qa_text(2).encode())], corpus, index, HashEmbedder())
    assert [a.file for a in report.added] == ["good.txt"] and [r.file for r in report.refused] == ["bomb.docx"]


def test_library_parses_uploads_in_the_capped_worker(library, monkeypatch):
    corpus, index = library
    before = snapshot(corpus, index)
    monkeypatch.setattr(config, "PARSE_TIMEOUT_SECONDS", 0.05)  # no child can even start in that time
    report = add_uploads([("good.txt", qa_text(2).encode())], corpus, index, HashEmbedder())
    assert [(r.file, r.reason) for r in report.refused] == [("good.txt", "unreadable")]
    assert report.refused[0].message == f"good.txt:0: {TOO_COMPLEX} (it was still being read after 0.05 s)"
    assert snapshot(corpus, index) == before
    assert child_processes() == []


@pytest.mark.parametrize("name, problem", [
    ("pa\x00nel.txt", "the name holds a control character"),
    ("p" * 296 + ".txt", "the name is 300 characters (300 bytes) long; at most 150 characters and 200 bytes"),
    ("é" * 120 + ".txt", "the name is 124 characters (244 bytes) long"),
    ("line\nbreak.txt", "the name holds a control character"),
    ("lone\udc80.txt", "the name is not valid text"),
])
def test_unusable_upload_names_are_refused_alone(library, name, problem):
    corpus, index = library
    report = add_uploads([(name, qa_text(1).encode()), ("good.txt", qa_text(2).encode())], corpus, index, HashEmbedder())
    assert [a.file for a in report.added] == ["good.txt"]
    assert [(r.file, r.reason) for r in report.refused] == [(name, "name")]
    message = report.refused[0].message
    assert problem in message and "\n" not in message and "\x00" not in message and len(message) < 250


# -- 6. warnings where the reader suspects it misread ---------------------------------------------

SKIPPED = """Recruiting panel: questions and answers

1 How do we start?
AC: Small, with a few volunteers.

2 Who pays?
SK: The budget for patient involvement.
AC: It varies.

4 How do we recruit?
AC: Through the clinics.

5 How long does it take?
SK: A year, NB: longer in winter.
"""


def test_skipped_question_number_is_warned_with_its_line():
    doc = parse_text(SKIPPED, "recruit.txt")
    assert [q.number for q in doc.questions] == [1, 2]  # still read as before: numbering is sequential
    assert doc.warnings[0] == ("line 10: '4 How do we recruit?' looks like question 4, but question 3 was never "
                               "found; it was read as part of the answer to question 2")
    assert doc.warnings[1] == ("line 13: '5 How long does it take?' looks like question 5, but question 3 was never "
                               "found; it was read as part of the answer to question 2")


def test_abbreviation_read_as_a_speaker_is_warned():
    doc = parse_text(SKIPPED, "recruit.txt")
    assert doc.warnings[2].startswith("line 14: 'NB:' was read as a speaker tag; if it is not a speaker, ")
    md = parse_markdown("## 1. How?\n\n**AC:** Small.\n\n**PDSA:** cycles, twice.\n**PDSA:** again.\n", "p.md")
    assert md.warnings == ("line 5: 'PDSA:' was read as a speaker tag (and 1 more time); if it is not a speaker, "
                           "write 'PDSA' without the colon so its text stays in the answer before it",)


def test_numbers_and_tags_that_are_no_misreading_are_not_warned(seed_doc):
    doc = parse_text("1 How many came?\nAC: Lots.\n3 people came.\n50 staff joined later.\n2 Who paid?\nPS: We did.\n",
                     "fine.txt")
    assert [w.split(":")[0] for w in doc.warnings] == ["line 6"]  # only 'PS:'
    assert seed_doc.warnings == ()


def test_metadata_naming_the_tag_a_speaker_silences_its_warning(tmp_path):
    (tmp_path / "p.txt").write_text("1 How?\nPS: Paul here.\n", encoding="utf-8")
    assert len(load_document(tmp_path / "p.txt").warnings) == 1
    write_meta(tmp_path / "p.meta.json", {"speakers": {"PS": "Paul Smith"}})
    assert load_document(tmp_path / "p.txt").warnings == ()


def test_warnings_reach_json_and_the_add_report_but_not_the_content(library, tmp_path):
    corpus, index = library
    doc = parse_text(SKIPPED, "recruit.txt")
    assert doc.to_json()["warnings"] == list(doc.warnings)
    assert doc.content_key() == replace(doc, warnings=()).content_key()
    report = add_uploads([("recruit.txt", SKIPPED.encode())], corpus, index, HashEmbedder())
    assert report.added[0].warnings == list(doc.warnings)
    assert report.to_json()["added"][0]["warnings"] == list(doc.warnings)


def test_warnings_are_capped():
    text = "1 How?\n" + "".join(f"AC: a{i} {tag}: b\n" for i, tag in enumerate(sorted(common.ABBREVIATIONS)))
    text += "".join(f"3 Q{i}?\n" for i in range(100))
    doc = parse_text(text, "many.txt")
    assert len(doc.warnings) == config.MAX_WARNINGS and doc.warnings[-1].startswith("... and ")


@pytest.mark.slow
def test_the_worker_reports_its_own_peak_not_its_parents(seed_path):
    # ru_maxrss carries a parent's peak over fork and exec: in a full test run (torch loaded, ~2 GB)
    # every child "used" 2 GB. The worker reads its own high-water mark instead.
    from panelsearch.worker import run_bounded

    ballast = bytearray(800 * 2**20)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # touched, so it is resident
    assert run_bounded(seed_path).peak_rss < 400 * 2**20
    del ballast
