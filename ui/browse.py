"""The Browse view: every question with its full answers, by document."""
from __future__ import annotations

import streamlit as st

from panelsearch import html, pack, urlstate, views, wording
from panelsearch.models import QuestionRecord
from panelsearch.search import Searcher
from ui.actions import browse_pick, show
from ui.pieces import agreement_ui, answer_item, markup, pack_button_ui, several


def browse_view_ui(searcher: Searcher, state: urlstate.PageState, glossary) -> None:
    in_scope = [q for q in searcher.questions if not state.docs or q.source in state.docs]
    multi = several(searcher)
    labels = {q.key: (f"{searcher.titles.get(q.source, q.source)} · " if multi else "")
              + wording.question_label(q.number, q.question, 90) for q in in_scope}
    open_now = [key for key in labels if key[1] == state.q]
    st.session_state.w_browse_q = open_now[0] if len(open_now) == 1 else None
    st.selectbox("Go to a question", [None, *labels], key="w_browse_q", on_change=browse_pick, args=(multi,),
                 format_func=lambda key: "All questions" if key is None else labels[key])
    questions = views.browse_questions(searcher.questions, state.speakers, state.q, state.docs)
    shown = views.speaker_options(searcher.documents, state.docs)
    names = [shown.get(s, s) for s in state.speakers]
    if state.speakers:
        st.caption(f"Showing only {html.escape(wording.and_list(names))}'s answers ({len(questions)} questions). "
                   "Change this under **Speakers** in the sidebar.")
    if not questions:
        st.info(f"{html.escape(wording.and_list(names))} did not answer Q{state.q}." if state.q is not None
                else "No questions match these filters.")
    for source, group in views.by_document(questions):
        if multi:
            document_heading_ui(searcher, source)
        for question in group:
            with st.container(border=True):
                markup(html.question_html(question.number, question.question, glossary))
                for answer in question.answers:
                    browse_answer_ui(searcher, question, answer, glossary)
                agreement_ui(searcher, searcher.catalog.question(*question.key) or question, glossary)
    if state.q is not None:
        st.button("Show all questions", icon=":material/list:", on_click=show, args=("browse", None))


def document_heading_ui(searcher: Searcher, source: str) -> None:
    """A document's title, date, event and speakers (names and roles where given) above its questions."""
    doc = searcher.catalog.document(source)
    markup(html.document_heading_html(doc.title or source, views.document_details(doc)) if doc
           else html.document_heading_html(source, ()))


def browse_answer_ui(searcher: Searcher, question: QuestionRecord, answer, glossary) -> None:
    speaker, number, source = answer.speaker, question.number, question.source
    name = searcher.catalog.speaker_name(source, speaker)
    markup(html.answer_block_html(source, speaker, html.answer_html(answer.text, (), (), glossary), name))
    passages = searcher.catalog.answer_passages(source, number, speaker)
    title = searcher.titles.get(source, "")
    if len(passages) <= 1:
        item = answer_item(searcher, question, speaker, answer.text)
        pack_button_ui(item, key=f"add-browse-{item.passage_id}", about=f"{name}'s answer to Q{number}")
        return
    in_pack = sum(p.passage_id in st.session_state.get("pack_passages", ()) for p in passages)
    shown = html.escape(name)  # a label is Markdown
    label = (f"Add to pack: {shown}'s answer to Q{number} ({in_pack} of {len(passages)} passages in it)" if in_pack
             else f"Add to pack: {shown}'s answer to Q{number}…")
    with st.popover(label, icon=":material/add:"):
        whole = pack.PackItem.whole_answer(question, speaker, answer.text, name)
        pack_button_ui(whole, key=f"add-browse-{whole.passage_id}", about=f"{name}'s whole answer")
        st.caption("Or one passage of it:")
        for p in passages:
            markup(html.small_html(wording.short_question(p.text, 160)))
            pack_button_ui(pack.PackItem.from_passage(p, title, name), key=f"add-browse-{p.passage_id}",
                           about=f"passage {p.position}")
