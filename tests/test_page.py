"""What the page shows: escaping, highlighting (html.py), grouping and compare alignment (views.py),
links (urlstate.py), the glossary panel."""
import os
import re
import time

import pytest

from panelsearch import glossary, html, index_load, urlstate, views, wording
from panelsearch.catalog import Catalog
from panelsearch.config import PAGE_MAX_K
from panelsearch.models import AnswerRecord, CompareResult, DocumentRecord, Hit, QuestionRecord, Speaker
from panelsearch.text import stem

INJECTIONS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '"><svg onload=alert(1)>']
GLOSSARY = {"EBE": "Expert by Experience", "LXP": "lived experience", "NHS": "National Health Service",
            "NHSE/I": "NHS England and NHS Improvement"}


def hit(rank, score, number, speaker, text="some text", relevance="good match", source="doc", position=1,
        title="", speaker_name=""):
    return Hit(rank=rank, score=score, question_number=number, question=f"Question {number}?", speaker=speaker,
               text=text, passage_id=f"{source}:q{number:02d}:{speaker}:{position}", source=source,
               position=position, relevance=relevance, title=title, speaker_name=speaker_name or speaker)


def question(source: str, number: int, text: str, *answers: tuple[str, str]) -> QuestionRecord:
    return QuestionRecord(source, "", number, text, tuple(AnswerRecord(s, t) for s, t in answers))


def record(source: str, *speakers: Speaker, title: str = "", date: str = "") -> DocumentRecord:
    return DocumentRecord(source=source, title=title, file=f"{source}.txt", format="text", sha256="", content_sha256="",
                          metadata_file=None, date=date, event="", speakers=[s.initials for s in speakers],
                          speaker_details=list(speakers), questions=0, passages=0, vectors_reused=0, vectors_embedded=0)


def stem_of(word: str) -> str:
    return stem([word.lower()])[0]


QUESTIONS = [
    question("doc", 1, "Question 1?", ("AC", "a1"), ("SK", "s1")),
    question("doc", 2, "Question 2?", ("AC", "a2")),
    question("doc", 3, "Question 3?", ("SK", "s3")),
]


def catalog(questions, *documents: DocumentRecord) -> Catalog:
    return Catalog([], questions, list(documents))


# -- escaping ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", INJECTIONS)
def test_escape_leaves_no_tag(text):
    out = html.escape(text)
    assert "<" not in out and ">" not in out and '"' not in out


def test_escape_neutralises_markdown_and_newlines():
    out = html.escape("*bold* $x$ :red[hi] `code`\n\nnext")
    for char in "*$[]`:":
        assert char not in out
    assert "\n" not in out and "next" in out


def test_escape_does_not_double_escape():
    assert html.escape("a & b's") == "a &amp; b&#39;s"


# -- highlighting --------------------------------------------------------------------------------
def test_query_terms_drop_stop_words_and_stem():
    terms = html.query_terms("How do we pay Experts by Experience?")
    assert {stem_of("paying"), stem_of("experts")} <= terms
    assert stem_of("how") not in terms and stem_of("we") not in terms


def test_query_terms_take_the_repaired_query_but_not_the_glossary_expansion():
    terms = html.query_terms("experiance QI", prepared="experience QI (quality improvement)")
    assert stem_of("experience") in terms
    assert stem_of("improvement") not in terms


def test_highlight_marks_word_forms_of_query_words():
    out = html.highlight("Paying experts is complex.", html.query_terms("pay an expert"))
    assert "<mark>Paying</mark>" in out and "<mark>experts</mark>" in out and "<mark>is</mark>" not in out


def test_highlight_escapes_before_marking():
    out = html.highlight("use <b>training</b> & tools", html.query_terms("training"))
    assert "&lt;b&gt;<mark>training</mark>&lt;/b&gt;" in out and "<b>" not in out


@pytest.mark.parametrize("query", INJECTIONS)
def test_highlight_with_a_hostile_query_adds_only_mark_tags(query):
    out = html.highlight(f"text with {query} inside", html.query_terms(query))
    stripped = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_highlight_explains_acronyms_plural_and_lower_case():
    out = html.highlight("EBEs share their lxp with NHSE/I.", glossary=GLOSSARY)
    assert '<abbr title="EBE&#58; Expert by Experience" tabindex="0">EBEs</abbr>' in out
    assert '<abbr title="LXP&#58; lived experience" tabindex="0">lxp</abbr>' in out
    assert ">NHSE/I</abbr>" in out


def test_highlight_leaves_web_addresses_alone():
    out = html.highlight("See https://www.england.nhs.uk/x and the NHS.", glossary=GLOSSARY)
    assert out.count("<abbr") == 1 and "england.nhs.uk/x" in out


def test_answer_html_marks_the_matched_passage_inside_the_answer():
    answer = "First sentence here.  Second   sentence is the match. Third one."
    out = html.answer_html(answer, ["Second sentence is the match."])
    assert '<span class="ps-matched">Second sentence is the match.</span>' in out
    assert out.startswith("First sentence here. ") and out.endswith(" Third one.")


def test_answer_html_without_a_matching_passage_marks_nothing():
    assert "ps-matched" not in html.answer_html("An answer.", ["not in it"])


def test_passage_spans_merge_overlaps():
    assert html.passage_spans("abcdefgh", ["bcd", "cdef", "h"]) == [(1, 6), (7, 8)]


# -- card pieces ---------------------------------------------------------------------------------
def test_speaker_colour_depends_on_document_and_initials_alone():
    # The same on every page and after any upload: nothing but (document, initials) goes in.
    seed = "coproduction-qi-webinar-qa"
    assert html.speaker_colour(seed, "AC") == html.speaker_colour(seed, "AC") != html.speaker_colour(seed, "SK")
    assert html.speaker_colour(seed, "AC") in html.PALETTE
    assert f'background:{html.speaker_colour("doc", "AC")}"' in html.speaker_badge("doc", "AC")


def test_relevance_html_is_a_label_not_a_number():
    out = html.relevance_html("good match")
    assert "Good match" in out and "●●●○" in out
    assert not any(ch.isdigit() for ch in out.replace("ps-rel-3", ""))


def test_card_shows_the_search_relevance_label_as_it_is():
    out = html.card_html(hit(1, 0.44, 5, "SK", relevance="good match"))
    assert "Good match" in out and "●●●○" in out


def test_short_question_cuts_at_a_word():
    text = "word " * 60
    out = wording.short_question(text, 50)
    assert out.endswith("…") and len(out) <= 51 and "wor…" not in out


def test_question_label():
    assert wording.question_label(4, "How early is early?") == "Q4 · How early is early?"


def test_card_html_shows_badge_passage_source_and_relevance():
    h = hit(1, 0.9, 4, "AC", text="Include EBEs <early>", relevance="strong match")
    out = html.card_html(h, html.query_terms("early"), GLOSSARY)
    assert f'background:{html.speaker_colour("doc", "AC")}">AC<' in out and "Q4 · Question 4?" in out
    assert "<mark>&lt;early&gt;</mark>" not in out and "&lt;<mark>early</mark>&gt;" in out
    assert "Strong match" in out and "0.9" not in out
    assert "ps-doc" not in out  # one document: the card does not name it


def test_card_html_names_the_speaker_and_the_document():
    h = hit(1, 0.9, 2, "JB", title="Running a patient panel", speaker_name="Jo Bloggs")
    out = html.card_html(h, show_title=True)
    assert f'background:{html.speaker_colour("doc", "JB")}" title="JB">Jo Bloggs</span>' in out
    assert '<div class="ps-doc">Running a patient panel</div>' in out


def test_speaker_badge_escapes_a_name():
    out = html.speaker_badge("doc", "JB", "<b>Jo</b>")
    assert "<b>" not in out and "&lt;b&gt;Jo" in out
    assert html.speaker_badge("doc", "AC", "AC") == html.speaker_badge("doc", "AC")


def test_every_badge_leads_to_its_speakers_card_and_the_card_does_not_link_to_itself():
    from panelsearch.views import SpeakerCard

    badge = html.speaker_badge("talk 2 (final).docx", "AC", "Alex Chan")
    target = html.who_id("talk 2 (final).docx", "AC")
    assert re.fullmatch(r"who-[0-9a-f]{12}", target)  # a valid id whatever the file is called
    assert f'href="#{target}"' in badge and 'aria-label="Alex Chan: who\'s who"' in badge
    assert html.who_id("talk", "AC") not in (html.who_id("talk", "SK"), html.who_id("other", "AC"))
    card = html.speaker_card_html(SpeakerCard("talk 2 (final).docx", "AC", "Alex Chan", "", (1,), (), ()))
    assert f'id="{target}"' in card and "href=" not in card
    assert "panelist SK" in html.speaker_badge("doc", "SK")  # no name given: never a guessed one


# -- grouping ------------------------------------------------------------------------------------
def test_group_by_question_keeps_best_first_and_collects_the_rest():
    hits = [hit(1, .9, 9, "AC", position=1), hit(2, .8, 9, "AC", position=2), hit(3, .7, 5, "SK"),
            hit(4, .6, 9, "SK", position=3)]
    groups = views.group_by_question(hits)
    assert [(g.number, len(g.hits)) for g in groups] == [(9, 3), (5, 1)]
    assert groups[0].best.rank == 1
    assert groups[0].others_summary() == "+ 2 more passages in this question also match (1 from AC, 1 from SK)."
    assert groups[1].others_summary() == ""


def test_group_by_question_limit_stops_at_the_first_question_left_out():
    hits = [hit(1, .9, 9, "AC"), hit(2, .8, 5, "SK"), hit(3, .7, 7, "AC"), hit(4, .6, 9, "AC", position=2)]
    groups = views.group_by_question(hits, limit=2)
    assert [g.number for g in groups] == [9, 5]
    assert len(groups[0].hits) == 1  # the Q9 passage ranked below Q7 does not come along


# -- compare -------------------------------------------------------------------------------------
def joint(speakers: dict) -> CompareResult:
    """A CompareResult whose joint ranking pools the speakers' hits, as Searcher.compare does."""
    pooled = sorted((h for hs in speakers.values() for h in hs), key=lambda h: -h.score)
    return CompareResult("q", speakers, hits=pooled)


def test_align_compare_says_who_did_not_answer_instead_of_padding():
    result = joint({
        "AC": [hit(1, .9, 2, "AC"), hit(2, .5, 1, "AC")],
        "SK": [hit(1, .6, 3, "SK"), hit(2, .4, 1, "SK")],
    })
    view = views.align_compare(result, catalog(QUESTIONS), k=2)
    assert view.questions == (("doc", 2), ("doc", 3))
    ac, sk = view.columns["AC"], view.columns["SK"]
    assert ac[0].hits and ac[1].note == "AC did not answer Q3."
    assert sk[0].note == "SK did not answer Q2." and sk[1].hits
    assert all(e.number in (2, 3) for e in ac + sk)  # Q1 is not used to fill a column


def test_align_compare_lists_questions_both_answered():
    result = joint({"AC": [hit(1, .9, 1, "AC")], "SK": [hit(1, .8, 1, "SK")]})
    view = views.align_compare(result, catalog(QUESTIONS), k=3)
    assert view.both_answered == (("doc", 1),)
    assert "Q1" in views.compare_summary(view)


def test_align_compare_on_the_seed(searcher):
    result = searcher.compare("how do we pay experts by experience", k=100)
    view = views.align_compare(result, searcher.catalog, k=3)
    assert ("coproduction-qi-webinar-qa", 9) in view.questions
    notes = [e.note for e in view.columns["SK"]]
    assert "SK did not answer Q9." in notes


TWO_DOCS = QUESTIONS + [question("panel", 1, "Meet how often?", ("AC", "x"), ("JB", "y"))]


def test_align_compare_gives_each_document_its_own_speakers():
    result = joint({"AC": [hit(1, .9, 1, "AC", source="panel"), hit(2, .5, 2, "AC")],
                    "JB": [hit(1, .8, 1, "JB", source="panel")],
                    "SK": [hit(1, .4, 3, "SK")]})
    view = views.align_compare(result, catalog(TWO_DOCS, record("doc", Speaker("AC"), Speaker("SK")),
                                               record("panel", Speaker("AC"), Speaker("JB", "Jo Bloggs"))), k=3)
    assert view.questions == (("panel", 1), ("doc", 2), ("doc", 3))
    panel, doc2, _ = view.rows
    assert [(e.speaker, e.name) for e in panel.entries] == [("AC", "AC"), ("JB", "Jo Bloggs")]
    assert [e.speaker for e in doc2.entries] == ["AC", "SK"]  # the other document's AC is another person
    assert panel.entries[0].hits[0].source == "panel" and panel.both_answered
    assert doc2.entries[1].note == "SK did not answer Q2."
    summary = views.compare_summary(view, {"panel": "Patient panel", "doc": "Webinar"})
    assert summary == "Matched questions: Q1 of Patient panel; Q2 of Webinar; Q3 of Webinar."


def test_align_compare_notes_use_display_names():
    result = joint({"AC": [hit(1, .9, 2, "AC")], "SK": []})
    view = views.align_compare(result, catalog(QUESTIONS, record("doc", Speaker("AC"), Speaker("SK", "Sam Kay"))), k=1)
    assert view.columns["SK"][0].note == "Sam Kay did not answer Q2."
    assert "Sam Kay on none of them" in views.compare_summary(view)


# -- browse --------------------------------------------------------------------------------------
def test_browse_questions_filters_by_speaker_and_number():
    only_sk = views.browse_questions(QUESTIONS, ["SK"])
    assert [q.number for q in only_sk] == [1, 3]
    assert all(a.speaker == "SK" for q in only_sk for a in q.answers)
    assert [q.number for q in views.browse_questions(QUESTIONS, None, 2)] == [2]
    assert views.browse_questions(QUESTIONS, ["SK"], 2) == []


def test_browse_questions_filters_by_document():
    assert [q.key for q in views.browse_questions(TWO_DOCS, None, 1, ["panel"])] == \
        [("panel", 1)]
    assert len(views.browse_questions(TWO_DOCS, None, 1)) == 2  # Q1 of each document
    assert [s for s, _ in views.by_document(TWO_DOCS)] == ["doc", "panel"]
    assert views.document_speakers(TWO_DOCS) == {"doc": ["AC", "SK"], "panel": ["AC", "JB"]}


# -- links ---------------------------------------------------------------------------------------
SPEAKERS, NUMBERS = ["AC", "SK"], range(1, 16)


def test_parse_params_reads_a_full_link():
    state, problems = urlstate.parse_params(
        {"view": "compare", "query": "  pay  EBEs ", "k": "8", "speaker": ["sk"], "group": "0"}, SPEAKERS, NUMBERS)
    assert problems == []
    assert state == urlstate.PageState(view="compare", query="pay EBEs", k=8, speakers=("SK",), grouped=False)


def test_parse_params_browse_question_alone_opens_browse():
    state, problems = urlstate.parse_params({"q": "11"}, SPEAKERS, NUMBERS)
    assert (state.view, state.q, problems) == ("browse", 11, [])


@pytest.mark.parametrize("params, problem", [
    ({"view": "admin"}, "unknown view"),
    ({"k": "lots"}, "whole number"),
    ({"k": "500"}, "outside"),
    ({"speaker": "ZZ"}, "unknown speaker"),
    ({"q": "99"}, "no question Q99"),
    ({"group": "maybe"}, "group must be"),
])
def test_parse_params_ignores_bad_parts_and_says_so(params, problem):
    state, problems = urlstate.parse_params(params, SPEAKERS, NUMBERS)
    assert len(problems) == 1 and problem in problems[0]
    assert state.view in urlstate.VIEWS and 1 <= state.k <= PAGE_MAX_K


def test_parse_params_every_speaker_is_no_filter_and_commas_work():
    state, _ = urlstate.parse_params({"speaker": "AC,SK"}, SPEAKERS, NUMBERS)
    assert state.speakers == ()


def test_to_params_round_trips_and_stays_short():
    state = urlstate.PageState(view="browse", query="safe space", k=3, speakers=("SK",), grouped=False, q=15)
    params = urlstate.to_params(state)
    assert urlstate.parse_params(params, SPEAKERS, NUMBERS) == (state, [])
    assert urlstate.to_params(urlstate.PageState()) == {}


LIBRARY_SPEAKERS = {"webinar": ["AC", "SK"], "panel": ["AC", "JB"]}
LIBRARY_NUMBERS = {"webinar": range(1, 16), "panel": [1, 2]}


def test_parse_params_reads_documents():
    state, problems = urlstate.parse_params({"doc": ["panel"], "speaker": "jb"}, LIBRARY_SPEAKERS, LIBRARY_NUMBERS)
    assert problems == [] and state.docs == ("panel",) and state.speakers == ("JB",)


def test_parse_params_link_to_one_question_of_one_document():
    state, problems = urlstate.parse_params({"view": "browse", "doc": "webinar", "q": "11"},
                                           LIBRARY_SPEAKERS, LIBRARY_NUMBERS)
    assert problems == [] and (state.view, state.docs, state.q) == ("browse", ("webinar",), 11)
    assert urlstate.to_params(state) == {"view": "browse", "q": "11", "doc": ["webinar"]}


def test_parse_params_checks_questions_and_speakers_against_the_chosen_documents():
    state, problems = urlstate.parse_params({"doc": "panel", "q": "11", "speaker": "SK"},
                                           LIBRARY_SPEAKERS, LIBRARY_NUMBERS)
    assert state.q is None and state.speakers == ()
    assert any("no question Q11" in p for p in problems)
    assert any("unknown speaker 'SK'" in p for p in problems)


def test_parse_params_unknown_document_is_ignored_and_said():
    state, problems = urlstate.parse_params({"doc": ["nope", "panel"]}, LIBRARY_SPEAKERS, LIBRARY_NUMBERS)
    assert state.docs == ("panel",)
    assert problems == ["unknown document 'nope' (this library has webinar, panel)"]


def test_parse_params_every_document_is_no_filter():
    state, problems = urlstate.parse_params({"doc": "webinar,panel"}, LIBRARY_SPEAKERS, LIBRARY_NUMBERS)
    assert (state.docs, problems) == ((), [])


def test_parse_params_one_document_library_keeps_plain_links():
    state, problems = urlstate.parse_params({"q": "11"}, {"webinar": ["AC", "SK"]}, {"webinar": range(1, 16)})
    assert (state.view, state.q, state.docs, problems) == ("browse", 11, (), [])


def test_to_params_round_trips_documents():
    state = urlstate.PageState(view="compare", query="pay", docs=("webinar",), speakers=("AC",))
    assert urlstate.parse_params(urlstate.to_params(state), LIBRARY_SPEAKERS, LIBRARY_NUMBERS) == (state, [])


def test_library_caption_one_document_uses_title_and_display_names():
    doc = record("panel", Speaker("AC"), Speaker("JB", "Jo Bloggs"), title="Running a patient panel", date="2024-03-03")
    assert views.library_caption([doc], 2) == \
        "Search “Running a patient panel” (2024-03-03): 2 audience questions answered by AC and Jo Bloggs."
    assert views.library_caption([doc, record("x")], 17).startswith("Search 2 documents, 17 audience")


def test_speaker_options_name_a_speaker_only_when_unambiguous():
    docs = [record("a", Speaker("AC", "Ann Cole"), Speaker("SK")), record("b", Speaker("AC"), Speaker("JB", "Jo Bloggs"))]
    assert views.speaker_options(docs) == {"AC": "AC", "JB": "Jo Bloggs", "SK": "SK"}
    assert views.speaker_options(docs, ["a"]) == {"AC": "Ann Cole", "SK": "SK"}


def test_share_link_replaces_the_query_string():
    link = urlstate.share_link("http://host:8501/?old=1", urlstate.PageState(query="a&b", view="compare"))
    assert link == "http://host:8501/?view=compare&query=a%26b"


def test_index_stamp_changes_when_the_index_is_rebuilt(tmp_path):
    (tmp_path / "index").mkdir()
    manifest = tmp_path / "index" / "manifest.json"
    manifest.write_text("{}")
    before = index_load.index_stamp(tmp_path / "index", tmp_path / "corpus")
    later = time.time() + 5
    manifest.write_text("{} ")
    os.utime(manifest, (later, later))
    assert index_load.index_stamp(tmp_path / "index", tmp_path / "corpus") != before


# -- glossary ------------------------------------------------------------------------------------
def test_glossary_rows_use_the_corpus_spelling(searcher):
    texts = [q.question for q in searcher.questions] + [a.text for q in searcher.questions for a in q.answers]
    acronyms = glossary.build_glossary(texts)
    spellings = glossary.acronym_spellings(texts, acronyms)
    rows = dict(glossary.glossary_rows(acronyms, spellings))
    assert "lxp" in rows and "EBE" in rows and "QI" in rows
    assert "RCPsych" in rows or "RcPsych" in rows
    out = html.glossary_html(glossary.glossary_rows(acronyms, spellings))
    assert out.count("<dt>") == len(acronyms)


def test_answer_html_does_not_mark_a_passage_that_is_the_whole_answer():
    assert "ps-matched" not in html.answer_html("Only one sentence.", ["Only one sentence."])


# -- issue #11: links, panelists ------------------------------------------------------------------
def test_web_addresses_in_answers_are_links_escaped_as_text():
    out = html.highlight('See https://www.england.nhs.uk/x?a=1&b="2"z. Or www.rcpsych.ac.uk/qi, then stop.')
    assert '<a href="https&#58;//www&#46;england' not in out  # the dot stays a dot in an attribute
    assert 'href="https&#58;//www.england.nhs.uk/x?a=1&amp;b=&quot;2&quot;z"' in out
    assert 'target="_blank" rel="noopener noreferrer nofollow"' in out
    assert 'href="https&#58;//www.rcpsych.ac.uk/qi"' in out and "</a>, then stop." in out
    assert html.highlight("javascript:alert(1) and data:text/html,x").count("<a ") == 0


def test_panelists_are_introduced_by_name_and_role_or_as_panelist():
    doc = record("panel", Speaker("AC"), Speaker("JB", "Jo Bloggs", "Patient panel chair"))
    assert views.panelists_line([doc]) == "The panel: panelist AC; Jo Bloggs, Patient panel chair (JB)."
    assert views.panelists_line([doc, record("x")]) == ""
