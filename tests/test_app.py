"""The Streamlit page, run headless with AppTest against a real index: every view, links, the pack,
and a library of two documents (filter, names, uploads)."""
import html
import json
import os
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from panelsearch.errors import UsageError
from panelsearch.html import escape
from panelsearch.store import Store
from tests.conftest import PANEL, PANEL_MD, PANEL_META, PANEL_TITLE, ROOT, SEED_SOURCE

PAY = "How do we pay experts by experience?"
OFF_TOPIC = "what is the weather in paris tomorrow"
INJECTIONS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    """Saved packs go to a folder of each test's own, never to the project's data/."""
    monkeypatch.setenv("PANELSEARCH_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def saved_items(app: AppTest) -> list:
    """The items of the pack the page has open, as saved in SQLite (store.py)."""
    saved = Store(os.environ["PANELSEARCH_DATA"]).pack(app.session_state["pack_id"])
    return saved.pack_items if saved else []


@pytest.fixture
def env(built_index, monkeypatch):
    corpus, index = built_index
    monkeypatch.setenv("PANELSEARCH_INDEX", str(index))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(corpus))
    return built_index


@pytest.fixture
def app(env):
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def opened(params: dict) -> AppTest:
    """The page as opened from a link with these query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def search(app: AppTest, query: str) -> AppTest:
    app.run()
    app.text_input(key="w_query").input(query).run()
    assert not app.exception
    return app


def show(app: AppTest, view: str) -> AppTest:
    """Click a tab (AppTest cannot click tabs; the tab's state lives under its key)."""
    app.session_state["view"] = view
    return app.run()


def markup(app: AppTest) -> str:
    return "\n".join(m.value for m in app.markdown)


def cards(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown if m.value.startswith('<div class="ps-card">')]


def add_buttons(app: AppTest) -> list:
    """The enabled buttons that add a passage: "Add to pack: AC's passage on Q9" (not a whole answer)."""
    return [b for b in app.button if b.label.startswith("Add to pack: ") and "whole answer" not in b.label
            and not b.disabled]


# -- start-up and errors -------------------------------------------------------------------------
def test_typing_a_query_shows_results(app):
    search(app, PAY)
    page = markup(app)
    assert "Q9" in page and "AC" in page


def test_missing_index_shows_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PANELSEARCH_INDEX", str(tmp_path / "none"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("index is not ready" in e.value for e in at.error)
    assert any("panelsearch build" in i.value for i in at.info)


def test_stale_index_says_how_to_rebuild(built_index, tmp_path, monkeypatch):
    corpus, index = built_index
    changed = tmp_path / "corpus"
    shutil.copytree(corpus, changed)
    seed = next(changed.iterdir())
    seed.write_text(seed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setenv("PANELSEARCH_INDEX", str(index))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(changed))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("stale" in e.value for e in at.error)
    assert any("panelsearch build" in i.value for i in at.info)


def test_usage_error_is_a_warning_not_a_traceback(app, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise UsageError("k must be a whole number of at least 1")

    # The page is up before the search fails: loading the searcher (cached once per process) runs a
    # query of its own, so patching first made this test pass only after another had loaded it.
    app.run()
    monkeypatch.setattr("panelsearch.search.Searcher.query", refuse)
    search(app, PAY)
    assert any("k must be" in w.value for w in app.warning)
    assert not cards(app)


# -- search --------------------------------------------------------------------------------------
def test_cards_show_badge_highlight_source_and_a_readable_relevance(app):
    search(app, PAY)
    found = cards(app)
    assert len(found) == 5
    first = found[0]
    assert 'class="ps-badge"' in first and ">AC</span>" in first
    assert "<mark>" in first
    assert "Q9 · Are Experts by Experience team members" in first
    assert any(label in first for label in ("Strong match", "Good match", "Partial match", "Weak match"))
    assert "score" not in first.lower()


def test_each_card_has_the_whole_answer_with_the_passage_marked(app):
    search(app, PAY)
    expanders = [e for e in app.expander if e.label.startswith("Whole answer to Q")]
    assert expanders[0].label == "Whole answer to Q9"
    inside = "\n".join(m.value for m in expanders[0].markdown)
    assert '<span class="ps-matched">' in inside and inside.count('<div class="ps-answer">') == 1


def test_one_card_per_question_and_every_passage(app):
    search(app, PAY)
    numbers = [c.split('<div class="ps-source"', 1)[1].split("Q", 1)[1].split(" ", 1)[0] for c in cards(app)]
    assert len(numbers) == len(set(numbers)) == 5
    app.toggle(key="w_grouped").set_value(False).run()
    numbers = [c.split('<div class="ps-source"', 1)[1].split("Q", 1)[1].split(" ", 1)[0] for c in cards(app)]
    assert len(numbers) == 5 and len(set(numbers)) < 5  # Q9's passages now take several cards
    assert app.query_params["group"] == "0"


def test_number_of_results(app):
    search(app, PAY)
    app.slider(key="w_k").set_value(2).run()
    assert len(cards(app)) == 2
    assert app.query_params["k"] == "2"


def test_speaker_filter_is_built_from_the_corpus(app):
    search(app, PAY)
    speakers = next(b for b in app.get("button_group") if b.key == "w_speakers")
    assert list(speakers.options) == ["AC", "SK"]
    speakers.unselect("AC").run()
    found = cards(app)
    assert found and all(">SK</span>" in c and ">AC</span>" not in c for c in found)
    assert app.query_params["speaker"] == "SK"


def test_clicking_an_example_searches_it(app):
    app.run()
    examples = next(b for b in app.get("button_group") if b.key == "w_example")
    examples.set_value(examples.options[1]).run()
    assert app.text_input(key="w_query").value == examples.options[1]
    assert cards(app)


def test_low_confidence_shows_closest_questions_not_passages(app):
    search(app, OFF_TOPIC)
    assert any("did not answer" in w.value for w in app.warning)
    assert not cards(app)
    read = [b for b in app.button if b.label.startswith("Read the answers to Q")]
    assert len(read) == 3
    number = int(read[0].label.rsplit("Q", 1)[1])
    read[0].click().run()
    assert app.session_state["view"] == "Browse"
    assert app.query_params["view"] == "browse" and app.query_params["q"] == str(number)
    assert f'<span class="ps-qnum">Q{number}</span>' in markup(app)


@pytest.mark.parametrize("query", INJECTIONS)
def test_hostile_queries_are_shown_as_text(app, query):
    search(app, query)
    raw = query[:7]  # "<img sr" / "<script"
    for m in app.markdown:
        if m.allow_html:
            assert raw not in m.value
    for el in [*app.caption, *app.warning]:
        assert raw not in el.value
    shown = "\n".join(e.value for e in [*app.caption, *app.warning])
    assert "&lt;" in shown  # the query is echoed, escaped


def test_acronyms_are_explained_and_listed(app):
    search(app, "what training do EBEs need")
    assert '<abbr title="EBE&#58; Expert by Experience" tabindex="0">' in markup(app)
    glossary = next(e for e in app.expander if e.label.startswith("Glossary"))
    listed = glossary.markdown[0].value
    for acronym in ("EBE", "QI", "HCP", "NHSE/I", "CCG", "ELFT", "BSMHFT", "lxp"):
        assert f"<dt>{acronym}</dt>" in listed


# -- compare -------------------------------------------------------------------------------------
def test_compare_puts_speakers_side_by_side_and_says_who_did_not_answer(app):
    search(app, PAY)
    show(app, "Compare")
    assert not app.exception
    page = markup(app)
    assert "SK did not answer Q9." in page
    assert '<span class="ps-qnum">Q9</span>' in page
    assert app.query_params["view"] == "compare"


def test_compare_aligns_both_answers_where_both_answered(app):
    search(app, "what training do experts by experience need")
    show(app, "Compare")
    cells = [m.value for m in app.markdown if m.value.startswith('<div class="ps-card">') and 'class="ps-answer"' in m.value]
    assert any(">AC</span>" in c and "ps-matched" in c for c in cells)  # the passage marked in its whole answer
    assert any(">SK</span>" in c for c in cells)
    # Each answer is shown once (issue #11): no "full answers" expander repeats the cells.
    assert not [e for e in app.expander if "full answers" in e.label]
    texts = [m.value for m in app.markdown if "ps-answer" in m.value]
    assert sum("learning modules which are a great start" in t for t in texts) == 1


def test_compare_low_confidence(app):
    search(app, OFF_TOPIC)
    show(app, "Compare")
    assert any("did not answer" in w.value for w in app.warning) and not cards(app)


# -- browse --------------------------------------------------------------------------------------
def test_a_link_opens_one_question_in_browse(env):
    at = opened({"view": "browse", "q": "11"})
    assert not at.exception
    questions = [m.value for m in at.markdown if m.value.startswith('<div class="ps-question">')]
    assert len(questions) == 1 and "Q11" in questions[0] and "recruit/select" in questions[0]
    next(b for b in at.button if b.label == "Show all questions").click().run()
    assert len([m for m in at.markdown if m.value.startswith('<div class="ps-question">')]) == 15
    assert "q" not in at.query_params


def test_browse_filtered_by_speaker(env):
    at = opened({"view": "browse", "speaker": "SK"})
    questions = [m.value for m in at.markdown if m.value.startswith('<div class="ps-question">')]
    answers = [m.value for m in at.markdown if m.value.startswith('<div class="ps-answer">')]
    assert 0 < len(questions) < 15
    assert answers and all(">SK</span>" in a for a in answers)


def test_a_bad_link_is_explained_not_fatal(env):
    at = opened({"view": "nowhere", "k": "many", "speaker": "ZZ"})
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "unknown view" in warning and "whole number" in warning and "unknown speaker" in warning


# -- links ---------------------------------------------------------------------------------------
def test_a_copied_link_reproduces_the_search(app, env):
    search(app, PAY)
    app.slider(key="w_k").set_value(3).run()
    show(app, "Compare")
    params = app.query_params
    again = opened({name: params[name] for name in params})
    assert again.text_input(key="w_query").value == PAY
    assert again.session_state["view"] == "Compare"
    assert markup(again) == markup(app)


# -- discussion pack -----------------------------------------------------------------------------
def test_pack_collects_passages_across_searches_and_views(app):
    search(app, PAY)
    add_buttons(app)[0].click().run()
    first = saved_items(app)[0]
    assert first.question_number == 9 and first.speaker == "AC"
    assert any(html.unescape(b.label) == "In your pack: AC's passage on Q9" and b.disabled for b in app.button)

    app.text_input(key="w_query").input("how do we create a safe space").run()
    show(app, "Compare")
    add_buttons(app)[0].click().run()
    show(app, "Browse")
    add_buttons(app)[0].click().run()
    assert len(saved_items(app)) == 3
    assert "3 passages" in " ".join(m.value for m in app.sidebar.markdown)
    assert app.query_params["pack"] in (app.session_state["pack_id"], [app.session_state["pack_id"]])  # the address opens it


def test_pack_view_offers_word_and_markdown_downloads(app):
    search(app, PAY)
    for _ in range(2):
        add_buttons(app)[0].click().run()
    show(app, "Pack")
    assert not app.exception
    downloads = {d.label: d for d in app.get("download_button")}
    assert set(downloads) == {"Download Word (.docx)", "Download Markdown (.md)"}
    quotes = [m.value for m in app.markdown if "ps-pack-quote" in m.value]
    assert len(quotes) == 2
    pack = saved_items(app)
    next(b for b in app.button if b.key == f"down-{pack[0].passage_id}").click().run()
    assert [i.passage_id for i in saved_items(app)] == [pack[1].passage_id, pack[0].passage_id]
    app.text_area(key=f"note-{pack[0].passage_id}").input("Ask the team about vouchers").run()
    assert saved_items(app)[1].note == "Ask the team about vouchers"
    next(b for b in app.button if b.key == f"remove-{pack[0].passage_id}").click().run()
    assert len(saved_items(app)) == 1


def test_a_pack_opens_again_from_its_link(app):
    search(app, PAY)
    add_buttons(app)[0].click().run()
    pack_id = app.session_state["pack_id"]
    again = opened({"pack": pack_id, "view": "pack"})  # a reload, or the link on a colleague's screen
    assert [m.value for m in again.markdown if "ps-pack-quote" in m.value]
    assert again.session_state["pack_id"] == pack_id
    missing = opened({"pack": "A" * 12})
    assert any("pack in the link was not found" in w.value for w in missing.warning)


def test_empty_pack_explains_itself(app):
    app.run()
    show(app, "Pack")
    assert any("pack is empty" in i.value for i in app.info)
    assert not app.get("download_button")


def test_whole_answer_repeats_a_question_only_when_the_card_cut_it(app):
    search(app, "We have no staff time for co-production, can it still work?")
    expander = next(e for e in app.expander if e.label == "Whole answer to Q5")
    inside = "\n".join(m.value for m in expander.markdown)
    assert "I do like incorporating service users as well." in inside  # the end the card left out


def test_damaged_index_is_an_error_not_a_traceback(built_index, tmp_path, monkeypatch):
    import json

    corpus, index = built_index
    damaged = tmp_path / "index"
    shutil.copytree(index, damaged)
    manifest = json.loads((damaged / "manifest.json").read_text())
    del manifest["model"]
    (damaged / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("PANELSEARCH_INDEX", str(damaged))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(corpus))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("index is not ready" in e.value for e in at.error)


# -- a library of several documents --------------------------------------------------------------
SHOWN_TITLE = escape(PANEL_TITLE)  # as the page's HTML has it
BROKEN_MD = "# Broken\n\n## 1. A question with no answer?\n\nJust text, no speaker tag.\n"


@pytest.fixture
def library_env(two_docs, monkeypatch):
    corpus, index = two_docs
    monkeypatch.setenv("PANELSEARCH_INDEX", str(index))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(corpus))
    return two_docs


@pytest.fixture
def one_doc_copy(built_index, tmp_path, monkeypatch):
    """A writable copy of the seed library, for uploads."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(built_index[0], corpus)
    shutil.copytree(built_index[1], index)
    monkeypatch.setenv("PANELSEARCH_INDEX", str(index))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("PANELSEARCH_ALLOW_EDIT", "1")  # as `make run` on one's own machine
    return corpus, index


def doc_filter(at: AppTest):
    return next((m for m in at.sidebar.multiselect if m.key == "w_docs"), None)


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    uploader = at.sidebar.get("file_uploader")[0]
    uploader.set_value([(name, data, "application/octet-stream") for name, data in files]).run()
    next(b for b in at.sidebar.button if b.key == "add-files").click().run()
    assert not at.exception
    return at


def test_one_document_has_no_document_filter_and_a_caption_from_its_title(app):
    app.run()
    assert doc_filter(app) is None
    caption = app.caption[0].value
    assert "15 audience questions answered by AC and SK" in caption and "webinar" not in caption.lower().split("“")[0]


def test_document_filter_appears_and_narrows_results(library_env):
    at = opened({"query": "Should panel members be paid?"})
    assert not at.exception
    assert "2 documents, 17 audience questions" in at.caption[0].value
    docs = doc_filter(at)
    assert docs is not None and list(docs.options) == ["coproduction qi webinar qa", PANEL_TITLE]  # titles
    every = cards(at)
    assert every and all('<div class="ps-doc">' in c for c in every)  # several documents: each card names its own
    assert {SHOWN_TITLE in c for c in every} == {True, False}  # results from both documents
    docs.select(PANEL).run()
    narrowed = cards(at)
    assert narrowed and all(SHOWN_TITLE in c for c in narrowed)
    assert at.query_params["doc"] in (PANEL, [PANEL])
    speakers = next(b for b in at.get("button_group") if b.key == "w_speakers")
    assert list(speakers.options) == ["AC", "Jo Bloggs"]  # the speakers of the chosen document, named


def test_display_names_replace_initials_where_metadata_gives_them(library_env):
    at = opened({"query": "Should panel members be paid?", "doc": PANEL})
    page = markup(at)
    assert ">Jo Bloggs</span>" in page and 'title="JB"' in page
    assert ">JB</span>" not in page and ">AC</span>" in page  # AC has no name: initials, never a guess
    show(at, "Compare")
    row = markup(at)
    assert ">Jo Bloggs</span>" in row and ">SK</span>" not in row  # the webinar's speakers are not in this row
    assert any(">AC</span>" in m.value and "ps-answer" in m.value for m in at.markdown)  # each answer, once


def test_compare_rows_keep_each_documents_speakers_apart(library_env):
    at = opened({"query": "Should panel members be paid?", "view": "compare"})
    assert not at.exception
    page = markup(at)
    assert ">Jo Bloggs</span>" in page and ">SK</span>" in page  # both documents matched
    for column in at.main.columns:  # a cell is one speaker of one document
        badges = {b for b in ("Jo Bloggs", "SK", "AC") if f">{b}</span>" in "".join(m.value for m in column.markdown)}
        assert len(badges) <= 1, badges
    titles = [m.value for m in at.markdown if m.value.startswith('<div class="ps-question">')]
    for title in titles:  # each row names its document; a panel row has no SK cell, a webinar row no JB
        assert '<div class="ps-doc">' in title
    assert not any("Jo Bloggs did not answer" in n.value and "Q9" in n.value for n in at.markdown)
    assert "Matched questions" in "\n".join(c.value for c in at.caption)


def test_browse_groups_questions_by_document(library_env):
    at = opened({"view": "browse"})
    heads = [m.value for m in at.markdown if m.value.startswith('<div class="ps-dochead">')]
    assert len(heads) == 2 and SHOWN_TITLE in heads[1]
    assert "Patient panel chair" in markup(at)
    assert len([m for m in at.markdown if m.value.startswith('<div class="ps-question">')]) == 17


def test_a_link_opens_one_question_of_one_document(library_env):
    at = opened({"view": "browse", "doc": SEED_SOURCE, "q": "11"})
    assert not at.exception and not at.warning
    questions = [m.value for m in at.markdown if m.value.startswith('<div class="ps-question">')]
    assert len(questions) == 1 and "recruit/select" in questions[0]
    at = opened({"view": "browse", "doc": PANEL, "q": "11"})
    assert any("no question Q11" in w.value for w in at.warning)


def test_a_link_to_an_unknown_document_is_explained(library_env):
    at = opened({"doc": "nowhere"})
    assert any("unknown document" in w.value and "nowhere" in w.value for w in at.warning)


def test_pack_items_carry_the_document_title_and_the_name(library_env):
    at = opened({"query": "Should panel members be paid?", "doc": PANEL})
    add_buttons(at)[0].click().run()
    item = saved_items(at)[0]
    assert item.title == PANEL_TITLE and item.source == PANEL
    show(at, "Pack")
    assert any(SHOWN_TITLE in m.value and "ps-pack-quote" in m.value for m in at.markdown)
    md = next(d for d in at.get("download_button") if d.label.startswith("Download Markdown"))
    assert md is not None


@pytest.mark.slow
def test_upload_of_a_good_document_adds_it(one_doc_copy):
    corpus, _ = one_doc_copy
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert doc_filter(app) is None
    upload(app, (f"{PANEL}.md", PANEL_MD.encode()), (f"{PANEL}.meta.json", json.dumps(PANEL_META).encode()))
    # Messages quote uploaded text, so the app escapes it (entities render as the characters).
    shown = [html.unescape(s.value) for s in app.sidebar.success]
    assert any(f"Added “{PANEL_TITLE}”" in m and "AC and Jo Bloggs" in m for m in shown)
    assert (corpus / f"{PANEL}.md").exists() and (corpus / f"{PANEL}.meta.json").exists()
    assert doc_filter(app) is not None  # the page reloaded the index: two documents now
    assert "2 documents" in app.caption[0].value
    speakers = next(b for b in app.get("button_group") if b.key == "w_speakers")
    assert list(speakers.value) == ["AC", "JB", "SK"]  # everyone stays everyone
    assert list(speakers.options) == ["AC", "Jo Bloggs", "SK"]
    app.text_input(key="w_query").input("Should panel members be paid?").run()
    assert any(">Jo Bloggs</span>" in c for c in cards(app))


@pytest.mark.slow
def test_upload_of_a_broken_file_is_refused_and_changes_nothing(one_doc_copy):
    corpus, index = one_doc_copy
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    manifest = (index / "manifest.json").read_bytes()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    upload(app, ("broken.md", BROKEN_MD.encode()))
    errors = " ".join(html.unescape(e.value) for e in app.sidebar.error)
    assert "broken.md:3: question 1 has no answer" in errors
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before
    assert (index / "manifest.json").read_bytes() == manifest
    assert doc_filter(app) is None and not app.exception


@pytest.mark.slow
def test_upload_of_a_duplicate_is_refused(one_doc_copy, seed_path):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    upload(app, ("copy.txt", seed_path.read_bytes()))
    assert any("already there" in html.unescape(e.value) for e in app.sidebar.error)


# -- who may change the library (issue #11) ---------------------------------------------------------
def test_a_read_only_page_has_no_upload_or_remove_control(env, monkeypatch):
    monkeypatch.delenv("PANELSEARCH_ALLOW_EDIT", raising=False)
    monkeypatch.delenv("PANELSEARCH_EDITORS_TOKEN", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.sidebar.get("file_uploader") and not [b for b in at.sidebar.button if b.key == "remove-doc"]
    assert any("read-only" in c.value for c in at.sidebar.caption)


def test_an_editors_token_admits_only_the_session_that_gives_it(one_doc_copy, monkeypatch):
    monkeypatch.delenv("PANELSEARCH_ALLOW_EDIT")
    monkeypatch.setenv("PANELSEARCH_EDITORS_TOKEN", "team-secret-42")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.sidebar.get("file_uploader")
    at.sidebar.text_input(key="w_editor_token").input("wrong").run()
    assert not at.sidebar.get("file_uploader")
    at.sidebar.text_input(key="w_editor_token").input("team-secret-42").run()
    assert at.sidebar.get("file_uploader")


@pytest.mark.slow
def test_remove_from_the_page_then_search_no_longer_finds_it(one_doc_copy):
    corpus, _ = one_doc_copy
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    upload(at, (f"{PANEL}.md", PANEL_MD.encode()))
    assert (corpus / f"{PANEL}.md").exists()
    at.sidebar.selectbox(key="w_remove_doc").set_value(PANEL).run()
    at.sidebar.checkbox(key="w_remove_sure").check().run()
    next(b for b in at.sidebar.button if b.key == "remove-doc").click().run()
    assert not at.exception and not (corpus / f"{PANEL}.md").exists()
    at.text_input(key="w_query").input("Should panel members be paid?").run()
    assert not any(PANEL in m.value for m in at.markdown if "ps-doc" in m.value)


# -- confidence in three tiers (issue #10) ----------------------------------------------------------
def test_low_confidence_offers_the_passages_anyway(app):
    search(app, OFF_TOPIC)
    assert any("did not answer" in w.value for w in app.warning) and not cards(app)
    next(b for b in app.button if b.label == "Show passages anyway").click().run()
    assert cards(app) and any("none of them is a good match" in w.value for w in app.warning)


def test_medium_confidence_shows_passages_under_a_caution(app, searcher):
    medium = next(q["query"] for q in json.loads((ROOT / "tests" / "data" / "dev_queries.json").read_text())["queries"]
                  if searcher.query(q["query"]).confidence == "medium")
    search(app, medium)
    assert cards(app) and any("may not answer" in w.value for w in app.warning)
