"""Discussion pack: editing it, and writing it out as Markdown and as a Word handout, with where the
panelists agree when asked (from the functions, the command line and the page)."""
import io
from dataclasses import replace
from datetime import date

import docx
import pytest
from docx.oxml.ns import qn

from panelsearch import pack
from panelsearch.agree import Agreement, Pair
from panelsearch.handout import AGREE_HEADING, NO_PAIRS, NOTE_LINES, to_docx, to_markdown
from panelsearch.models import Hit, QuestionRecord, Speaker

DAY = date(2026, 11, 26)
Q9 = "Are Experts by Experience team members or 'visitors'? How do you remunerate Experts by Experience?"


def item(n=9, speaker="AC", text="There are many different approaches.", pid=None):
    return pack.PackItem(passage_id=pid or f"doc:q{n:02d}:{speaker}:1", source="coproduction-qi-webinar-qa",
                         question_number=n, question=Q9 if n == 9 else f"Question {n}?", speaker=speaker,
                         text=text, title="coproduction qi webinar qa")


ITEMS = [item(), item(5, "SK", "Time, resources and staff capacity are inherent barriers.")]


def open_docx(data: bytes) -> docx.Document:
    return docx.Document(io.BytesIO(data))


# -- editing -------------------------------------------------------------------------------------
def test_add_does_not_duplicate_and_keeps_order():
    items = pack.add(pack.add([], ITEMS[0]), ITEMS[1])
    assert pack.add(items, ITEMS[0]) == items == ITEMS
    assert pack.contains(items, ITEMS[1].passage_id)


def test_remove_and_move():
    third = item(2, "SK", pid="doc:q02:SK:1")
    items = [*ITEMS, third]
    assert pack.remove(items, ITEMS[0].passage_id) == [ITEMS[1], third]
    assert pack.move(items, third.passage_id, -1) == [ITEMS[0], third, ITEMS[1]]
    assert pack.move(items, ITEMS[0].passage_id, -5) == items  # clamped at the top
    assert pack.move(items, "missing", 1) == items


def test_item_from_hit_and_whole_answer():
    hit = Hit(rank=1, score=0.5, question_number=9, question=Q9, speaker="AC", text="t", passage_id="p:9",
              source="s", title="T")
    assert pack.PackItem.from_hit(hit) == pack.PackItem("p:9", "s", 9, Q9, "AC", "t", "T")
    whole = pack.PackItem.whole_answer(QuestionRecord("s", "", 9, Q9, ()), "SK", "all of it")
    assert whole.passage_id == "s:q09:SK:all" and whole.text == "all of it"


def test_source_label_adds_a_title_only_when_it_says_more():
    assert item().source_label == "coproduction-qi-webinar-qa"
    titled = pack.PackItem("p", "qa-2021", 1, "q", "AC", "t", title="Co-production webinar, June 2021")
    assert titled.source_label == "Co-production webinar, June 2021 (qa-2021)"


def test_file_name_is_a_dated_slug():
    assert pack.file_name("Team meeting: co-production!", DAY, "docx") == "team-meeting-co-production-2026-11-26.docx"
    assert pack.file_name("   ", DAY, "md") == "discussion-pack-2026-11-26.md"


# -- Markdown ------------------------------------------------------------------------------------
def test_markdown_has_every_part_of_every_item():
    md = to_markdown(ITEMS, "Ward 4 meeting", DAY)
    assert md.startswith("# Ward 4 meeting\n") and "26 November 2026" in md
    # A topic heading from the audience question (cut near 80 characters), the whole question when cut
    assert "## 1. Are Experts by Experience team members or 'visitors'? How do you remunerate…" in md
    assert "## 2. Question 5?" in md
    assert f"*Question 9: {Q9}*" in md and "Question 5: " not in md
    assert "> There are many different approaches." in md
    assert "— **Panelist AC**, answering question 9\n" in md
    assert "**To discuss:** How would we answer “Question 5?” in our team?" in md
    assert md.count("**Notes**") == 2 and md.count("_" * 60) == 2 * NOTE_LINES


def test_markdown_escapes_what_would_format_or_inject():
    md = to_markdown([item(text="Use *stars* and <script>alert(1)</script> # not a heading")], when=DAY)
    assert "\\*stars\\*" in md and "\\<script\\>" in md and "<script>" not in md


def test_markdown_of_an_empty_pack_says_so():
    assert "No passages yet." in to_markdown([], when=DAY)


# -- Word ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def handout():
    return open_docx(to_docx(ITEMS, "Ward 4 meeting", DAY))


def test_docx_opens_with_title_date_and_metadata(handout):
    first = handout.paragraphs[0]
    assert first.style.name == "Title" and first.text == "Ward 4 meeting"
    assert "Prepared 26 November 2026" in handout.paragraphs[1].text and "2 passages" in handout.paragraphs[1].text
    assert handout.core_properties.title == "Ward 4 meeting"


def test_docx_has_a_section_per_item_with_question_quote_and_source(handout):
    paragraphs = handout.paragraphs
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == ["1.  Are Experts by Experience team members or 'visitors'? How do you remunerate…",
                        "2.  Question 5?"]
    quotes = [p.text for p in paragraphs if p.style.name == "Quote"]
    assert quotes == [f"“{ITEMS[0].text}”", f"“{ITEMS[1].text}”"]
    text = "\n".join(p.text for p in paragraphs)
    assert f"Question 9:  {Q9}" in text and "Question 5:" not in text
    assert "— Panelist AC, answering question 9" in text and "— Panelist SK, answering question 5" in text
    # The one document is named once, at the top, not on every item
    assert text.count("coproduction qi webinar qa") == 1 and "Source" not in text


def test_docx_quotes_are_styled_with_a_bar_and_shading(handout):
    quote = next(p for p in handout.paragraphs if p.style.name == "Quote")
    p_pr = quote._p.pPr
    assert p_pr.find(qn("w:pBdr")).find(qn("w:left")) is not None
    assert p_pr.find(qn("w:shd")).get(qn("w:fill"))


def test_docx_has_ruled_lines_for_notes(handout):
    notes = [n for n, p in enumerate(handout.paragraphs) if p.style.name == "Heading 2" and p.text == "Notes"]
    assert len(notes) == 2
    lines = handout.paragraphs[notes[0] + 1: notes[0] + 1 + NOTE_LINES]
    for line in lines:
        borders = line._p.pPr.find(qn("w:pBdr"))
        assert line.text == "" and borders.find(qn("w:bottom")) is not None


def test_docx_paragraph_properties_are_in_schema_order(handout):
    """Word refuses ("unreadable content") a w:pPr whose children are out of order."""
    order = ["w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:widowControl", "w:numPr",
             "w:pBdr", "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:outlineLvl", "w:rPr"]
    rank = {qn(t): n for n, t in enumerate(order)}
    for p in handout.paragraphs:
        if p._p.pPr is None:
            continue
        seen = [rank[c.tag] for c in p._p.pPr if c.tag in rank]
        assert seen == sorted(seen), p.text


def test_docx_footer_numbers_pages(handout):
    footer = handout.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("Ward 4 meeting · page")
    assert any(el.text == "PAGE" for el in footer._p.iter(qn("w:instrText")))


def test_docx_keeps_hostile_text_as_text():
    doc = open_docx(to_docx([item(text="<script>alert(1)</script> & more")], when=DAY))
    assert any(p.text == "“<script>alert(1)</script> & more”" for p in doc.paragraphs)


def test_docx_of_an_empty_pack_still_opens():
    doc = open_docx(to_docx([], when=DAY))
    assert any(p.text == "No passages yet." for p in doc.paragraphs)


# -- a library of several documents --------------------------------------------------------------
NAMED = pack.PackItem("panel:q02:JB:1", "patient-panel", 2, "Should panel members be paid?", "JB",
                      "Agree, and ask each member.", title="Running a patient panel", speaker_name="Jo Bloggs")


def test_item_carries_the_display_name_but_not_initials_as_a_name():
    hit = Hit(rank=1, score=0.5, question_number=2, question="q", speaker="JB", text="t", passage_id="p",
              source="patient-panel", title="Running a patient panel", speaker_name="Jo Bloggs")
    assert pack.PackItem.from_hit(hit).speaker_label == "Jo Bloggs"
    unnamed = pack.PackItem.from_hit(Hit(rank=1, score=0.5, question_number=2, question="q", speaker="AC", text="t",
                                         passage_id="p", source="s", speaker_name="AC"))
    assert unnamed.speaker_name == "" and unnamed.speaker_label == "AC"


def test_markdown_names_the_speaker_and_the_document_title():
    md = to_markdown([NAMED, ITEMS[0]], "Meeting", DAY)
    assert "## 1. Should panel members be paid?" in md
    assert "— **Jo Bloggs**, answering question 2 · source 1" in md
    assert "2 passages from 2 documents" in md
    assert "1. Running a patient panel (patient-panel)\n2. coproduction-qi-webinar-qa\n" in md
    assert md.count("patient-panel") == 1
    assert "1 passage from “Running a patient panel”" in to_markdown([NAMED], "M", DAY)


def test_docx_names_the_speaker_and_the_document_title():
    doc = open_docx(to_docx([NAMED], "Meeting", DAY))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["1.  Should panel members be paid?"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "— Jo Bloggs, answering question 2" in text and text.count("Running a patient panel") == 1


# -- a handout that stands alone (issue #11) -----------------------------------------------------
GLOSSARY = {"QI": "quality improvement", "EBE": "Expert by Experience", "NHS": "National Health Service",
            "LXP": "lived experience"}
NOTED = pack.PackItem("coproduction-qi-webinar-qa:q09:AC:1", "coproduction-qi-webinar-qa", 9, Q9, "AC",
                      "EBEs are paid for QI work.", title="Co-production webinar", note="Ask HR first.\nThen the board.",
                      prompt="Do we pay *our* EBEs?")
PLAIN = pack.PackItem("coproduction-qi-webinar-qa:q05:SK:1", "coproduction-qi-webinar-qa", 5,
                      "What are the barriers?", "SK", "Time and staff capacity.", title="Co-production webinar")
ROLES = {("coproduction-qi-webinar-qa", "AC"): Speaker("AC", "Alex Carter", "Patient partner")}


def paragraphs_after(doc, heading: str) -> list[str]:
    """The texts of the paragraphs after ``heading`` up to the next heading."""
    out, inside = [], False
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading"):
            if inside:
                break
            inside = p.text == heading
        elif inside and p.text:
            out.append(p.text)
    return out


def test_docx_says_who_spoke_by_name_and_role_and_never_guesses_a_name():
    doc = open_docx(to_docx([NOTED, PLAIN], "Meeting", DAY, speakers=ROLES))
    assert paragraphs_after(doc, "Who spoke") == ["Alex Carter  ·  Patient partner", "Panelist SK"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "— Alex Carter, answering question 9" in text and "— Panelist SK, answering question 5" in text
    # Without names given, initials: a list of Speakers works for a one-document pack
    doc = open_docx(to_docx([NOTED, PLAIN], "Meeting", DAY, speakers=[Speaker("SK", role="Chair")]))
    assert paragraphs_after(doc, "Who spoke") == ["Panelist AC", "Panelist SK  ·  Chair"]


def test_docx_has_the_note_and_the_prompt_or_a_default_one():
    doc = open_docx(to_docx([NOTED, PLAIN], "Meeting", DAY))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Note:  Ask HR first.\nThen the board." in text  # the note's line break kept
    assert "To discuss:  Do we pay *our* EBEs?" in text
    assert "To discuss:  How would we answer “What are the barriers?” in our team?" in text
    assert text.count("Note:") == 1  # no empty note for the item without one


def test_glossary_lists_only_the_acronyms_the_pack_uses():
    doc = open_docx(to_docx([NOTED, PLAIN], "Meeting", DAY, glossary=GLOSSARY))
    assert paragraphs_after(doc, "Glossary") == ["EBE  ·  Expert by Experience", "QI  ·  quality improvement"]
    md = to_markdown([NOTED, PLAIN], "Meeting", DAY, glossary=GLOSSARY)
    # up front, after who spoke and before the passages
    assert "## Glossary\n\n- **EBE**: Expert by Experience\n- **QI**: quality improvement\n\n## 1. " in md
    # No glossary given, or none of its acronyms used: no glossary section
    assert "Glossary" not in to_markdown([NOTED], "M", DAY)
    assert "Glossary" not in to_markdown([PLAIN], "M", DAY, glossary=GLOSSARY)


def test_markdown_has_who_spoke_note_and_prompt_escaped():
    md = to_markdown([NOTED, PLAIN], "Meeting", DAY, speakers=ROLES)
    assert "## Who spoke\n\n- **Alex Carter**, Patient partner\n- **Panelist SK**\n" in md
    assert "**Note:** Ask HR first. Then the board." in md
    assert "**To discuss:** Do we pay \\*our\\* EBEs?" in md
    assert md.count("Co-production webinar") == 1


def test_several_documents_are_each_named_once_and_items_point_at_them():
    other = pack.PackItem("panel:q02:AC:1", "patient-panel", 2, "Paid?", "AC", "Yes.", title="Running a patient panel")
    doc = open_docx(to_docx([NOTED, other, PLAIN], "Meeting", DAY, speakers=ROLES))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Source 1:  Co-production webinar (coproduction-qi-webinar-qa)" in text
    assert "Source 2:  Running a patient panel (patient-panel)" in text
    assert text.count("patient panel") == 1 and text.count("Co-production webinar") == 1
    assert "— Panelist AC, answering question 2 · source 2" in text
    # The same initials in two documents are two people, unless a name says otherwise
    assert paragraphs_after(doc, "Who spoke") == ["Alex Carter (source 1)  ·  Patient partner",
                                                  "Panelist AC (source 2)", "Panelist SK (source 1)"]


def test_docx_cleans_what_xml_cannot_hold():
    hostile = pack.PackItem("p:1", "s", 1, "q\x00?", "AC", "t\x0bext\ufffe", note="a\x01b", prompt="<w:p/>")
    doc = open_docx(to_docx([hostile], "T\x1b[2J", DAY))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "“t ext”" in text and "Note:  a b" in text and "To discuss:  <w:p/>" in text


# -- where the panelists agree (issue #12, part 3) -------------------------------------------------
SOURCE = "coproduction-qi-webinar-qa"
AGREE_Q9 = Agreement(SOURCE, 9, Q9, ["AC", "SK"],
                     [Pair("AC", "We pay EBEs for their time.", "SK", "Experts are paid by the *hour* <b>too</b>.", 0.61, 0, 1)],
                     {"AC": ["There are many different approaches."], "SK": ["Vouchers suit some people."]})
AGREE_Q5 = Agreement(SOURCE, 5, "Question 5?", ["SK", "AC"], [],
                     {"SK": ["Time is the barrier."], "AC": []})  # no pairs, and nothing only AC said
AGREE_Q1 = Agreement(SOURCE, 1, "Question 1?", ["AC", "SK"], [], {"AC": ["Not in the pack."], "SK": []})
TWO_FROM_Q9 = [item(), item(5, "SK", "Time, resources and staff capacity are inherent barriers."),
               item(9, "SK", "Vouchers suit some people.", pid=f"{SOURCE}:q09:SK:2")]


def test_markdown_has_the_agreement_groups_only_when_given():
    plain = to_markdown(ITEMS, "Ward 4 meeting", DAY)
    assert AGREE_HEADING not in plain and "Both said" not in plain and "Only" not in plain
    md = to_markdown(ITEMS, "Ward 4 meeting", DAY, agreements=[AGREE_Q9, AGREE_Q5, AGREE_Q1])
    q9 = md[md.index("## 1. "):md.index("## 2. ")]
    # after the question to discuss, before the lines for notes
    assert q9.index("**To discuss:**") < q9.index(f"### {AGREE_HEADING}") < q9.index("**Notes**")
    assert ("**Both said**\n\n- **Panelist AC:** “We pay EBEs for their time.”\\\n"
            "  **Panelist SK:** “Experts are paid by the \\*hour\\* \\<b\\>too\\</b\\>.”\n") in q9
    assert "**Only Panelist AC said**\n\n- “There are many different approaches.”\n" in q9
    assert "**Only Panelist SK said**\n\n- “Vouchers suit some people.”\n" in q9
    assert "Panelist AC and Panelist SK on question 9, quoted as spoken." in q9 and "not that they disagree" in q9
    q5 = md[md.index("## 2. "):]
    assert f"**Both said**\n\n{NO_PAIRS}\n" in q5  # said so, not an empty heading
    assert "**Only Panelist SK said**\n\n- “Time is the barrier.”" in q5 and "Only Panelist AC said" not in q5
    assert "Not in the pack." not in md  # a question the pack does not quote
    assert md.count(f"### {AGREE_HEADING}") == 2


def test_a_question_quoted_twice_shows_its_groups_once():
    md = to_markdown(TWO_FROM_Q9, "M", DAY, agreements=[AGREE_Q9])
    assert md.count(f"### {AGREE_HEADING}") == 1 and md.count("We pay EBEs for their time.") == 1
    assert f"*{AGREE_HEADING} on question 9: see 1 above.*" in md[md.index("## 3. "):]
    doc = open_docx(to_docx(TWO_FROM_Q9, "M", DAY, agreements=[AGREE_Q9]))
    texts = [p.text for p in doc.paragraphs]
    assert texts.count(AGREE_HEADING) == 1 and f"{AGREE_HEADING} on question 9: see 1 above." in texts


def test_agreement_speakers_are_named_as_everywhere_and_listed_among_who_spoke():
    named = {(SOURCE, "SK"): Speaker("SK", "Sam Kay", "Improvement lead")}
    md = to_markdown([item()], "M", DAY, speakers=named, agreements=[AGREE_Q9])
    assert "## Who spoke\n\n- **Panelist AC**\n- **Sam Kay**, Improvement lead\n" in md  # SK is quoted too
    assert "**Only Sam Kay said**" in md and "  **Sam Kay:** “Experts are paid" in md
    assert "Panelist AC and Sam Kay on question 9" in md


def test_docx_has_the_agreement_groups_only_when_given():
    assert AGREE_HEADING not in "\n".join(p.text for p in open_docx(to_docx(ITEMS, "M", DAY)).paragraphs)
    doc = open_docx(to_docx(ITEMS, "M", DAY, agreements=[AGREE_Q9, AGREE_Q5]))
    texts = [p.text for p in doc.paragraphs]
    at = texts.index(AGREE_HEADING)
    assert texts[at - 1].startswith("To discuss:") and doc.paragraphs[at].style.name == "Heading 2"
    assert texts[at + 2] == "Both said"
    # "Both said": a pair a row, side by side, each cell the speaker's name and their sentence
    pair = doc.tables[0].rows[0].cells
    assert [c.text for c in pair] == ["Panelist AC\n“We pay EBEs for their time.”",
                                      "Panelist SK\n“Experts are paid by the *hour* <b>too</b>.”"]
    only = texts.index("Only Panelist AC said")
    assert texts[only + 1] == "“There are many different approaches.”"
    assert doc.paragraphs[only + 1].style.name == "List Bullet"
    assert "“Vouchers suit some people.”" in texts and NO_PAIRS in texts and "Only Panelist AC said" in texts
    assert len(doc.tables) == 1  # Q5 has no pairs: no empty table
    assert texts.index("Notes") > only


def test_docx_agreement_xml_is_in_schema_order():
    """Word refuses ("unreadable content") properties out of schema order: tables' as paragraphs'."""
    doc = open_docx(to_docx(ITEMS, "M", DAY, agreements=[AGREE_Q9]))
    tbl_pr = [c.tag for c in doc.tables[0]._tbl.tblPr]
    assert tbl_pr == [qn(t) for t in ("w:tblW", "w:tblCellSpacing", "w:tblInd", "w:tblLayout", "w:tblLook")]
    for row in doc.tables[0].rows:
        assert [c.tag for c in row._tr.trPr] == [qn("w:cantSplit")]
        for cell in row.cells:
            assert [c.tag for c in cell._tc.tcPr] == [qn("w:tcW"), qn("w:tcBorders"), qn("w:shd")]
    order = ["w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:widowControl", "w:numPr",
             "w:pBdr", "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:outlineLvl", "w:rPr"]
    rank = {qn(t): n for n, t in enumerate(order)}
    for p in doc.paragraphs:
        if p._p.pPr is not None:
            seen = [rank[c.tag] for c in p._p.pPr if c.tag in rank]
            assert seen == sorted(seen), p.text


def test_agreement_sentences_count_for_the_glossary():
    agree = Agreement(SOURCE, 5, "Question 5?", ["SK", "AC"], [], {"SK": ["NHS staff help."], "AC": []})
    md = to_markdown([ITEMS[1]], "M", DAY, glossary=GLOSSARY, agreements=[agree])
    assert "- **NHS**: National Health Service" in md
    assert "NHS" not in to_markdown([ITEMS[1]], "M", DAY, glossary=GLOSSARY)


def test_several_answered_picks_the_questions_two_or_more_answered(searcher):
    catalog = searcher.catalog
    q2 = catalog.question(SOURCE, 2)
    q9 = catalog.question(SOURCE, 9)
    assert len(q2.speakers) == 2 and len(q9.speakers) == 1  # the seed: Q2 both, Q9 AC only
    items = [pack.PackItem.from_passage(p) for p in catalog.answer_passages(SOURCE, 2, "SK")[:1]
             + catalog.answer_passages(SOURCE, 9, "AC")[:2] + catalog.answer_passages(SOURCE, 2, "AC")[:1]]
    assert pack.several_answered(items, catalog) == [q2]
    whole = pack.PackItem.whole_answer(catalog.question(SOURCE, 7), "AC", "…")
    assert [q.number for q in pack.several_answered([whole, *items], catalog)] == [7, 2]
    gone = replace(items[0], source="elsewhere")
    assert pack.several_answered([gone], catalog) == []


# -- the same from the command line and the page ----------------------------------------------------
@pytest.fixture
def two_answer_pack(searcher, tmp_path):
    """A saved pack quoting Q2 (SK and AC answered it) and Q9 (AC only), in a data folder of its own."""
    from panelsearch.store import Store

    catalog = searcher.catalog
    data = tmp_path / "data"
    packs = Store(data)
    pid = packs.create_pack("Qualitative data")
    packs.add_item(pid, pack.PackItem.from_passage(catalog.answer_passages(SOURCE, 2, "SK")[0]))
    packs.add_item(pid, pack.PackItem.from_passage(catalog.answer_passages(SOURCE, 9, "AC")[0]))
    return data, pid


def test_cli_exports_the_agreement_groups_when_asked(two_answer_pack, built_index, capsys, tmp_path):
    from panelsearch.cli import main

    data, pid = two_answer_pack
    index = str(built_index[1])
    common = ["--format", "md", "--data", str(data), "--index", index]
    assert main(["pack", "export", pid, "-o", str(tmp_path / "plain.md"), *common]) == 0
    assert AGREE_HEADING not in (tmp_path / "plain.md").read_text(encoding="utf-8")
    assert main(["pack", "export", pid, "-o", str(tmp_path / "agree.md"), "--agreement", *common]) == 0
    md = (tmp_path / "agree.md").read_text(encoding="utf-8")
    assert md.count(f"### {AGREE_HEADING}") == 1  # Q2's: AC alone answered Q9
    section = md[md.index(f"### {AGREE_HEADING}"):md.index("**Notes**")]
    # the seed's Q2 pair, quoted as the library holds it
    assert "“Quotes, opinions and emotions can all help to bring data alive.”" in section
    assert "“Use quotations in your reports" in section and "**Only Panelist SK said**" in section
    capsys.readouterr()
    assert main(["pack", "export", pid, "-o", str(tmp_path / "agree.docx"), "--agreement", "--data", str(data),
                 "--index", index]) == 0
    doc = open_docx((tmp_path / "agree.docx").read_bytes())
    assert AGREE_HEADING in [p.text for p in doc.paragraphs] and len(doc.tables) == 1


def test_cli_agreement_needs_the_library(two_answer_pack, capsys, tmp_path):
    from panelsearch.cli import main

    data, pid = two_answer_pack
    code = main(["pack", "export", pid, "--agreement", "-o", str(tmp_path / "x.md"), "--format", "md",
                 "--data", str(data), "--index", str(tmp_path / "no-index")])
    err = capsys.readouterr().err
    assert code == 1 and "panelsearch: error: --agreement needs the library" in err
    assert not (tmp_path / "x.md").exists()


def test_the_pack_view_offers_the_agreement_for_a_question_two_answered(two_answer_pack, built_index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import ui.packs
    from panelsearch.store import Store
    from tests.conftest import ROOT

    data, pid = two_answer_pack
    corpus, index = built_index
    for name, value in (("PANELSEARCH_DATA", data), ("PANELSEARCH_INDEX", index), ("PANELSEARCH_CORPUS", corpus)):
        monkeypatch.setenv(name, str(value))
    real, made = ui.packs.render, []
    monkeypatch.setattr(ui.packs, "render", lambda *args: made.append(args) or real(*args))

    def opened(pack_id: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["pack"], at.query_params["view"] = pack_id, "pack"
        return at.run()

    at = opened(pid)
    box = at.checkbox(key="w_pack_agree")
    assert box.label == "Include where the panelists agree" and not box.value and not at.exception
    assert made and all(args[4] == [] for args in made)  # not asked: no groups in either download
    made.clear()
    box.check().run()
    assert not at.exception and {args[1] for args in made} == {"docx", "md"}
    md = real(*next(args for args in made if args[1] == "md")).decode("utf-8")
    assert md.count(f"### {AGREE_HEADING}") == 1 and "“Quotes, opinions and emotions can all help" in md

    # A pack whose questions only one panelist answered is not offered the choice
    packs = Store(data)
    only_ac = packs.create_pack("Q9")
    packs.add_item(only_ac, Store(data).pack(pid).items[1].item)
    assert not [box for box in opened(only_ac).checkbox if box.key == "w_pack_agree"]
