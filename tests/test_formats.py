"""Formats: Markdown, PDF and Word documents parse to the same questions and answers as the text seed.

The PDF and Word files are generated here from the seed's parsed questions (reportlab, python-docx),
laid out as the original: a number column, a Question column and an Answer column, the header
repeated on each page, cells wrapped over lines and rows broken across pages.
"""
import json

import pytest

from panelsearch.corpus import corpus_files, corpus_fingerprint
from panelsearch.errors import ParseError
from panelsearch.readers import load_document, parse_document, parse_markdown
from panelsearch.readers.metadata import read_metadata
from panelsearch.readers.tables import join_cell_lines
from tests.conftest import make_docx, make_markdown, make_pdf, readme_block, table_rows


def content(doc):
    """Everything that must survive a format word for word."""
    return [(q.number, q.text, [(a.speaker, a.text) for a in q.answers]) for q in doc.questions]


# -- generators ---------------------------------------------------------------------------------

# -- Markdown -----------------------------------------------------------------------------------

def test_markdown_of_the_seed_gives_the_same_questions_word_for_word(seed_doc, tmp_path):
    path = tmp_path / "webinar.md"
    path.write_text(make_markdown(seed_doc, title="Co-production webinar Q&A"))
    doc = load_document(path)
    assert content(doc) == content(seed_doc)
    assert sum(len(q.answers) for q in doc.questions) == 20
    assert (doc.title, doc.date, doc.event, doc.format) == ("Co-production webinar Q&A", "17 June 2021",
                                                            "Co-production webinar", "markdown")
    assert doc.source == "webinar"


def test_readme_markdown_example_parses_as_described():
    doc = parse_markdown(readme_block("markdown"), "panel.md")
    assert doc.title == "Running a patient panel: questions and answers"
    assert (doc.date, doc.event) == ("3 March 2024", "Patient involvement network, spring meeting")
    assert [(q.number, q.text) for q in doc.questions] == [(1, "How often should the panel meet?"),
                                                           (2, "Should panel members be paid?")]
    assert doc.questions[0].answers[0].text == ("Monthly worked for us. Fewer meetings lost momentum, and more "
                                                "left no time to act between them. Whatever you choose, publish "
                                                "the dates a year ahead.")
    assert [a.speaker for a in doc.questions[1].answers] == ["MT", "JB"]
    assert [(s.initials, s.name, s.role, s.display) for s in doc.speaker_info()] == [
        ("JB", "Jo Bloggs", "Patient panel chair", "Jo Bloggs"), ("MT", "", "", "MT")]


def test_readme_metadata_example_applies_to_the_markdown_example(tmp_path):
    (tmp_path / "panel.md").write_text(readme_block("markdown"))
    (tmp_path / "panel.meta.json").write_text(readme_block("json"))
    doc = load_document(tmp_path / "panel.md")
    assert (doc.title, doc.date) == ("Running a patient panel", "2024-03-03")
    assert [(s.initials, s.name, s.role, s.display) for s in doc.speaker_info()] == [
        ("JB", "Jo Bloggs", "Patient panel chair", "Jo Bloggs"), ("MT", "", "Carer", "MT")]


def test_markdown_tag_forms():
    doc = parse_markdown("## 1. Q?\n**AC:** one.\n**SK**: two.\nAC: three.\n- SK: four.\n__JB:__ five.\n")
    assert [(a.speaker, a.text) for a in doc.questions[0].answers] == [
        ("AC", "one."), ("SK", "two."), ("AC", "three."), ("SK", "four."), ("JB", "five.")]


def test_markdown_bold_tag_inside_a_line_starts_another_answer():
    doc = parse_markdown("## 1. Q?\n**SK:** first view. **AC:** second view.\n")
    assert [(a.speaker, a.text) for a in doc.questions[0].answers] == [("SK", "first view."), ("AC", "second view.")]


def test_markdown_plain_capitals_inside_a_line_stay_text():
    doc = parse_markdown("## 1. Q?\nAC: ask the NHS: they know.\n")
    assert [(a.speaker, a.text) for a in doc.questions[0].answers] == [("AC", "ask the NHS: they know.")]


def test_markdown_question_heading_forms():
    doc = parse_markdown("## 1. One?\nAC: a\n## Q2: Two?\nAC: b\n## Question 3) Three?\nAC: c\n"
                         "## Four, unnumbered?\nAC: d\n## 10 Ten?\nAC: e\n")
    assert [(q.number, q.text) for q in doc.questions] == [(1, "One?"), (2, "Two?"), (3, "Three?"),
                                                           (4, "Four, unnumbered?"), (10, "Ten?")]


def test_markdown_question_continues_below_its_heading():
    doc = parse_markdown("## 1. It is an uphill struggle.\nWhere do we start?\n\nAC: Small.\n")
    assert doc.questions[0].text == "It is an uphill struggle. Where do we start?"


def test_markdown_emphasis_and_links_become_plain_text():
    doc = parse_markdown("## 1. Q?\nAC: See *the* **guide** at [NHS England](https://www.england.nhs.uk/) "
                         "or <https://example.org/a_b_c> and snake_case_name.\n")
    assert doc.questions[0].answers[0].text == ("See the guide at NHS England (https://www.england.nhs.uk/) "
                                                "or https://example.org/a_b_c and snake_case_name.")


def test_markdown_title_falls_back_to_file_name_and_front_matter_works():
    assert parse_markdown("## 1. Q?\nAC: a\n", "my-panel_notes.md").title == "my panel notes"
    doc = parse_markdown("---\ntitle: From front matter\ndate: 2024-01-02\n---\n\n## 1. Q?\nAC: a\n", "x.md")
    assert (doc.title, doc.date) == ("From front matter", "2024-01-02")


def test_markdown_lines_are_recorded():
    doc = parse_markdown("# T\n\n## 1. Q?\n\n**AC:** a\n\n**SK:** b\n")
    assert doc.questions[0].line == 3
    assert [a.line for a in doc.questions[0].answers] == [5, 7]


@pytest.mark.parametrize("text, line, message", [
    ("  \n\n", 1, "file is empty"),
    ("# Title\n\nSome notes\nAC: about things\n", 1, "no question found: expected '## 1. Question text'"),
    ("## 1. Q?\nAC: fine\n## 2. No answer here?\njust text\n", 3, "question 2 has no answer"),
    ("## 1. Q?\nAC: fine\n## 2. R?\n**SK:**\n", 4, "speaker tag 'SK:' has no answer text"),
    ("## 2. Q?\nAC: a\n## 1. R?\nAC: b\n", 3, "question 1 comes after question 2"),
    ("## 1.\nAC: a\n", 1, "question 1 has no question text"),
    ("Speakers:\n- ZZ: Someone\n\n## 1. Q?\nAC: a\n", 2, "names 'ZZ', who answers no question"),
])
def test_markdown_errors_name_the_line(text, line, message):
    with pytest.raises(ParseError) as err:
        parse_markdown(text, "notes/qa.md")
    assert (err.value.file, err.value.line) == ("qa.md", line)
    assert message in str(err.value)


# -- metadata -----------------------------------------------------------------------------------

@pytest.fixture
def seed_copy(tmp_path, seed_path):
    path = tmp_path / seed_path.name
    path.write_bytes(seed_path.read_bytes())
    return path


def test_metadata_file_gives_title_date_event_and_names(seed_copy):
    meta = seed_copy.with_name("coproduction-qi-webinar-qa.meta.json")
    meta.write_text(json.dumps({"title": "Co-production in QI: webinar Q&A", "date": "2021-06-17",
                                "event": "QI webinar", "speakers": {"SK": {"name": "S. K.", "role": "QI lead"}}}))
    doc = load_document(seed_copy)
    assert (doc.title, doc.date, doc.event) == ("Co-production in QI: webinar Q&A", "2021-06-17", "QI webinar")
    assert [(s.initials, s.display, s.role) for s in doc.speaker_info()] == [("AC", "AC", ""), ("SK", "S. K.", "QI lead")]
    assert doc.to_json()["speakers"] == [{"initials": "AC", "name": "", "role": ""},
                                         {"initials": "SK", "name": "S. K.", "role": "QI lead"}]


def test_without_metadata_speakers_are_initials_only(seed_doc):
    assert [(s.initials, s.name, s.display) for s in seed_doc.speaker_info()] == [("AC", "", "AC"), ("SK", "", "SK")]
    assert (seed_doc.date, seed_doc.event) == ("", "")


@pytest.mark.parametrize("meta, line, message", [
    ('{"title": "x",\n "date": 2021}', 2, "'date' should be text"),
    ('{"title": "x",\n "tilte": "y"}', 2, "unknown field 'tilte'"),
    ('{\n"speakers": {\n "ZZ": "Someone"}}', 3, "speaker 'ZZ' does not answer anything"),
    ('{"speakers": {"Amy": "Amy"}}', 1, "use the 2-4 capitals"),
    ('{"speakers": {"AC": {"nmae": "A"}}}', 1, "expected a name"),
    ('{"title": "x",\n\n "date": }', 3, "not valid JSON"),
    ('["title"]', 1, "expected a JSON object"),
])
def test_metadata_errors_name_the_metadata_file(seed_copy, meta, line, message):
    seed_copy.with_name("coproduction-qi-webinar-qa.meta.json").write_text(meta)
    with pytest.raises(ParseError) as err:
        load_document(seed_copy)
    assert (err.value.file, err.value.line) == ("coproduction-qi-webinar-qa.meta.json", line)
    assert message in str(err.value)


def test_metadata_string_shorthand(tmp_path):
    path = tmp_path / "m.meta.json"
    path.write_text('{"speakers": {"AC": "A. Name"}}')
    assert read_metadata(path).people[0].name == "A. Name"


# -- PDF ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory, seed_doc):
    path = tmp_path_factory.mktemp("pdf") / "webinar.pdf"
    layout = make_pdf(table_rows(seed_doc), path, heading="Co-production webinar: questions and answers")
    return path, layout


def test_pdf_table_gives_the_same_questions_word_for_word(seed_pdf, seed_doc):
    path, layout = seed_pdf
    assert layout["tallest_row"] > layout["frame_height"]  # so at least one row had to break across pages
    doc = load_document(path)
    assert content(doc) == content(seed_doc)
    assert len(doc.questions) == 15 and sum(len(q.answers) for q in doc.questions) == 20
    assert (doc.source, doc.format) == ("webinar", "pdf")


def test_pdf_title_is_the_heading_above_the_table(seed_pdf):
    assert load_document(seed_pdf[0]).title == "Co-production webinar: questions and answers"


def test_pdf_rows_record_their_page(seed_pdf):
    doc = load_document(seed_pdf[0])
    pages = [q.line for q in doc.questions]
    assert pages[0] == 1 and pages == sorted(pages) and pages[-1] > 3


def test_pdf_without_rules_parses_by_header_positions(seed_doc, tmp_path):
    make_pdf(table_rows(seed_doc), tmp_path / "plain.pdf", ruled=False, page_height=300)
    doc = load_document(tmp_path / "plain.pdf")
    assert content(doc) == content(seed_doc)
    assert doc.title == "plain"  # no heading, and reportlab's "(anonymous)" title is no title


@pytest.mark.parametrize("page_height", [230, 420, 595])
def test_pdf_parses_wherever_rows_break(seed_doc, tmp_path, page_height):
    make_pdf(table_rows(seed_doc, inline=()), tmp_path / "w.pdf", page_height=page_height)
    assert content(load_document(tmp_path / "w.pdf")) == content(seed_doc)


def test_pdf_row_without_speaker_tag_names_page_and_row(tmp_path):
    path = tmp_path / "bad.pdf"
    make_pdf([("1", "Q one?", ["AC: fine."]), ("2", "Q two?", ["nobody signed this", "AC: fine."])], path,
             page_height=595)
    with pytest.raises(ParseError) as err:
        load_document(path)
    assert str(err.value) == ("bad.pdf:1: page 1, row 3: the answer to question 2 starts with 'nobody signed "
                              "this' before any speaker tag such as 'AC:'")


def test_pdf_number_going_down_names_page_and_row(tmp_path):
    path = tmp_path / "order.pdf"
    make_pdf([("1", "Q one?", ["AC: a."]), ("3", "Q three?", ["AC: b."]), ("2", "Q two?", ["AC: c."])], path,
             page_height=595)
    with pytest.raises(ParseError, match=r"order.pdf:1: page 1, row 4: question 2 comes after question 3"):
        load_document(path)


def test_pdf_header_is_a_line_of_header_words_only():
    from panelsearch.readers.pdf import _pdf_headers

    def line(*texts, top=10.0):
        return [{"text": t, "top": top, "x0": 50.0 * i, "x1": 50.0 * i + 40} for i, t in enumerate(texts)]

    assert len(_pdf_headers(line("No.", "Question", "Answer"))) == 1
    assert len(_pdf_headers(line("#", "Questions:", "Answers"))) == 1
    assert _pdf_headers(line("each", "question", "gets", "an", "answer")) == []
    assert _pdf_headers(line("Answer", "Question")) == []


def test_pdf_answer_mentioning_question_and_answer_is_kept_whole(tmp_path):
    path = tmp_path / "qa.pdf"
    make_pdf([("1", "Q one?", ["AC: Every question gets an answer, in the end."])], path, page_height=595)
    assert load_document(path).questions[0].answers[0].text == "Every question gets an answer, in the end."


def test_not_a_pdf_is_a_parse_error(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really\n")
    with pytest.raises(ParseError, match=r"fake.pdf:0: not a readable PDF"):
        load_document(path)


def test_pdf_without_a_table_is_read_as_the_text_format(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "typed.pdf"
    c = canvas.Canvas(str(path))
    for i, line in enumerate(["1 How do we start?", "AC: Small, with people who use the service.",
                              "2 Who pays?", "SK: The project budget."]):
        c.drawString(72, 760 - 14 * i, line)
    c.save()
    doc = load_document(path)
    assert [(q.number, q.text, q.answers[0].speaker) for q in doc.questions] == [
        (1, "How do we start?", "AC"), (2, "Who pays?", "SK")]
    c = canvas.Canvas(str(path))
    c.drawString(72, 760, "Minutes of the meeting")
    c.save()
    with pytest.raises(ParseError, match="no Question/Answer table found.*no numbered question"):
        load_document(path)


# -- Word ---------------------------------------------------------------------------------------

def test_docx_table_gives_the_same_questions_word_for_word(seed_doc, tmp_path):
    path = tmp_path / "webinar.docx"
    make_docx(table_rows(seed_doc), path, heading="Co-production webinar", split_row="9")
    import docx

    assert len(docx.Document(str(path)).tables[0].rows) == 17  # header, 15 questions, and Q9 carried on
    doc = load_document(path)
    assert content(doc) == content(seed_doc)
    assert sum(len(q.answers) for q in doc.questions) == 20
    assert (doc.title, doc.date, doc.format) == ("Co-production webinar", "17 June 2021", "docx")


def test_docx_title_falls_back_to_properties_then_file_name(seed_doc, tmp_path):
    import docx

    path = tmp_path / "panel_notes.docx"
    make_docx(table_rows(seed_doc), path)
    assert load_document(path).title == "panel notes"
    word = docx.Document(str(path))
    word.core_properties.title = "From the properties"
    word.save(str(path))
    assert load_document(path).title == "From the properties"


def test_docx_row_errors_name_the_table_row(seed_doc, tmp_path):
    import docx

    path = tmp_path / "qa.docx"
    make_docx(table_rows(seed_doc), path)
    word = docx.Document(str(path))
    word.tables[0].rows[4].cells[2].text = "An answer nobody signed."
    word.tables[0].rows[6].cells[0].text = "six"
    word.save(str(path))
    with pytest.raises(ParseError) as err:
        load_document(path)
    assert str(err.value) == ("qa.docx:5: table 1, row 5: the answer to question 4 has no speaker tag: "
                              "start it with the speaker's initials and a colon, such as 'AC:'")
    word.tables[0].rows[4].cells[2].text = "AC: signed now."
    word.save(str(path))
    with pytest.raises(ParseError, match=r"qa.docx:7: table 1, row 7: expected a question number .* found 'six'"):
        load_document(path)


def test_not_a_docx_is_a_parse_error(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ParseError, match="fake.docx:0: not a readable Word file"):
        load_document(path)


# -- cells, dispatch, corpus -----------------------------------------------------------------

@pytest.mark.parametrize("lines, joined", [
    (["one two", "three"], "one two three"),
    (["co-", "production"], "co-production"),
    (["see https://", "www.england.nhs.uk/x/"], "see https://www.england.nhs.uk/x/"),
    (["https://www.england.nhs.uk/publication/", "working-in-", "partnership/ today"],
     "https://www.england.nhs.uk/publication/working-in-partnership/ today"),
    (["visit https://example.org/", "for more"], "visit https://example.org/ for more"),
    (["", "  spaced   out ", ""], "spaced out"),
])
def test_cell_lines_join(lines, joined):
    assert join_cell_lines(lines) == joined


def test_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes(b"x")
    with pytest.raises(ParseError, match=r"unsupported file type '.doc': expected one of .txt, .md, .pdf, .docx"):
        parse_document(path)


def test_suffix_case_does_not_matter(seed_doc, tmp_path):
    (tmp_path / "UPPER.MD").write_text(make_markdown(seed_doc))
    assert content(parse_document(tmp_path / "UPPER.MD")) == content(seed_doc)


def test_corpus_lists_every_format_but_not_metadata_or_lock_files(tmp_path, seed_doc):
    for name in ["a.txt", "b.md", "c.pdf", "d.docx", "a.meta.json", "~$d.docx", ".hidden.md", "e.doc", "notes.json"]:
        (tmp_path / name).write_text("x")
    assert [p.name for p in corpus_files(tmp_path)] == ["a.txt", "b.md", "c.pdf", "d.docx"]
    assert sorted(corpus_fingerprint(tmp_path)) == ["a.meta.json", "a.txt", "b.md", "c.pdf", "d.docx"]


def test_markdown_emphasis_is_linear_on_pathological_lines(tmp_path):
    """A line of many unclosed '**' once took 30 s at 80 KB; it must parse at once."""
    import time

    from panelsearch.readers import load_document

    path = tmp_path / "odd.md"
    path.write_text("# Odd\n\n## 1. Question?\n\n**AC:** " + "**a " * 40000 + "\n", encoding="utf-8")
    started = time.perf_counter()
    doc = load_document(path)
    assert time.perf_counter() - started < 5  # generous: linear takes milliseconds, quadratic minutes
    assert doc.questions[0].answers[0].speaker == "AC"
