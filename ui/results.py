"""The Search and Compare views, and the query box above them."""
from __future__ import annotations

import streamlit as st

from panelsearch import html, pack, urlstate, views, wording
from panelsearch.config import LIBRARY_MAX_K, PAGE_QUERY_MAX_CHARS
from panelsearch.errors import UsageError
from panelsearch.models import QuestionRecord
from panelsearch.search import Searcher
from ui.actions import on_query, use_example
from ui.pieces import (agreement_ui, answer_item, caution_ui, closest_list_ui, closest_questions_ui, feedback_ui,
                       markup, pack_button_ui, several, whole_question_ui)


def query_ui(searcher: Searcher, state: urlstate.PageState) -> None:
    # No max_chars: the browser does not enforce it, and Streamlit drops a longer paste silently.
    # A long query is cut in on_query instead, with a notice.
    st.text_input("Ask the panel", key="w_query", on_change=on_query, placeholder="Type your question…")
    if st.session_state.pop("query_cut", False):
        st.caption(f"Your question was cut to its first {PAGE_QUERY_MAX_CHARS} characters.")
    if state.view not in ("search", "compare"):
        return
    if state.query:
        with st.expander("Example questions"):
            st.pills("Examples", views.EXAMPLE_QUERIES, key="w_example", on_change=use_example,
                     label_visibility="collapsed")
    else:
        st.pills("Try an example", views.EXAMPLE_QUERIES, key="w_example", on_change=use_example)


def search_view_ui(searcher: Searcher, state: urlstate.PageState, glossary) -> None:
    if not state.query:
        st.info("Type a question above, or pick an example. Results show who said what, with the audience "
                "question they were answering. Add passages to a **Pack** to take into a meeting.",
                icon=":material/lightbulb:")
        return
    fetch = LIBRARY_MAX_K if state.grouped else state.k  # grouping needs every passage to fill k questions
    try:
        prepared = searcher.prepare_query(state.query)  # read once: ranking and highlighting share it
        result = searcher.query(prepared, k=fetch, speakers=list(state.speakers) or None,
                                sources=list(state.docs) or None)
    except UsageError as err:
        st.warning(str(err))
        return
    if result.notice:
        st.caption(html.escape(result.notice))
    if result.confidence == "low" and not closest_questions_ui(searcher, state.query, result.closest_questions,
                                                                glossary, key="search"):
        return
    if result.confidence == "medium":
        caution_ui(state.query)
    terms = html.query_terms(state.query, prepared.expanded)
    groups = views.group_by_question(result.hits, state.k) if state.grouped else views.one_per_hit(result.hits)
    shown = views.speaker_options(searcher.documents, state.docs)
    who = f" from {wording.and_list(shown.get(s, s) for s in state.speakers)}" if state.speakers else ""
    where = f" in {wording.plural(len(state.docs), 'document')}" if state.docs and len(state.docs) > 1 else \
        f" in “{searcher.titles.get(state.docs[0], state.docs[0])}”" if state.docs else ""
    unit = "question" if state.grouped else "passage"
    st.caption(html.escape(f"{len(groups)} {unit}{'s' if len(groups) != 1 else ''}{who}{where} for "
                              f"“{state.query}”, best match first."))
    for group in groups:
        result_card_ui(searcher, group, terms, glossary, state.query)
    if result.confidence == "medium" and result.closest_questions:
        st.caption("The questions the panel did answer that come closest:")
        closest_list_ui(searcher, result.closest_questions, glossary, key="search")


def result_card_ui(searcher: Searcher, group: views.QuestionGroup, terms, glossary, query: str) -> None:
    hit = group.best
    with st.container(border=True):
        markup(html.card_html(hit, terms, glossary, extra=group.others_summary(),
                              show_title=several(searcher)))
        with st.container(horizontal=True):
            item = pack.PackItem.from_hit(hit)
            pack_button_ui(item, key=f"add-search-{hit.passage_id}")
            feedback_ui(query, hit.passage_id, f"{item.speaker_label} on Q{hit.question_number}",
                        key=f"feedback-search-{hit.passage_id}")
        with st.expander(f"Whole answer to Q{hit.question_number}", icon=":material/article:"):
            question = searcher.catalog.question(hit.source, hit.question_number)
            if question:
                whole_question_ui(searcher, question, [hit.text], terms, glossary)


def compare_view_ui(searcher: Searcher, state: urlstate.PageState, glossary) -> None:
    docs = list(state.docs) or None
    if not state.query:
        options = views.speaker_options(searcher.documents, state.docs)
        names = [options.get(s, s) for s in searcher.catalog.speakers_of(docs)]
        who = f"how {wording.and_list(names)} each answered it" if len(searcher.sources) == 1 or state.docs and \
            len(state.docs) == 1 else "how each panelist answered it"
        st.info(f"Type a question above to see {html.escape(who)}, side by side.", icon=":material/compare_arrows:")
        return
    try:
        prepared = searcher.prepare_query(state.query)
        result = searcher.compare(prepared, k=LIBRARY_MAX_K, sources=docs)  # every answered question has one
    except UsageError as err:
        st.warning(str(err))
        return
    if result.confidence == "low" and not closest_questions_ui(
            searcher, state.query, searcher.closest_questions(prepared, sources=docs), glossary, key="compare"):
        return
    if result.confidence == "medium":
        caution_ui(state.query)
    view = views.align_compare(result, searcher.catalog, k=state.k)
    terms = html.query_terms(state.query, prepared.expanded)
    summary = views.compare_summary(view, searcher.titles if several(searcher) else None)
    st.caption(f"For “{html.escape(state.query)}”. {html.escape(summary)}")
    for row in view.rows:
        question = searcher.catalog.question(row.source, row.number) or QuestionRecord(
            row.source, searcher.titles.get(row.source, ""), row.number, row.question, ())
        with st.container(border=True):
            markup(html.question_html(row.number, question.question, glossary)
                   + (html.doc_html(searcher.titles.get(row.source, row.source)) if several(searcher) else ""))
            for col, entry in zip(st.columns(len(row.entries)), row.entries):
                with col:
                    compare_entry_ui(searcher, question, entry, terms, glossary)
            if row.both_answered:
                agreement_ui(searcher, question, glossary)


def compare_entry_ui(searcher: Searcher, question: QuestionRecord, entry: views.CompareEntry, terms, glossary) -> None:
    """One speaker's cell: their whole answer, once, with the passages that matched marked inside it."""
    if not entry.hits:
        markup(html.empty_cell_html(entry.source, entry.speaker, entry.name, entry.note))
        return
    answer = question.answer_of(entry.speaker)
    text = answer.text if answer else " ".join(h.text for h in entry.hits)
    markup(html.compare_cell_html(entry.hits, text, terms, glossary))
    with st.container(horizontal=True):
        for hit in entry.hits:
            which = "marked passage" if len(entry.hits) == 1 else f"passage {hit.position}"
            pack_button_ui(pack.PackItem.from_hit(hit), key=f"add-compare-{hit.passage_id}",
                           about=f"{entry.name}'s {which} on Q{entry.number}")
        if answer and not (len(entry.hits) == 1 and entry.hits[0].text == text):
            item = answer_item(searcher, question, entry.speaker, text)
            pack_button_ui(item, key=f"add-compare-all-{item.passage_id}",
                           about=f"{entry.name}'s whole answer to Q{entry.number}")
