"""Pieces every view draws: markup, Add buttons, feedback buttons, whole answers, the closest questions, cautions."""
from __future__ import annotations

import streamlit as st

from panelsearch import html, pack, wording
from panelsearch.feedback import HELPED, NOT_THIS, Feedback
from panelsearch.models import QuestionRecord
from panelsearch.search import Searcher
from ui.actions import add_to_pack, feedback_key, give_feedback, show, show_anyway
from ui.loading import agreement_of, get_store


def markup(text: str) -> None:
    """Draw markup built by html.py (escaped there)."""
    st.markdown(text, unsafe_allow_html=True)


def pack_button_ui(item: pack.PackItem, key: str, label: str = "", about: str = "") -> None:
    """An Add button whose name says what it adds ("Add to pack: AC's passage on Q9"): a page holds
    many, and a screen reader lists them by name."""
    # A label is Markdown: the name in it is escaped, as every name the page shows ("Xa :red[...]").
    about = html.escape(about or f"{item.speaker_label}'s passage on Q{item.question_number}")
    if item.passage_id in st.session_state.get("pack_passages", ()):
        st.button(f"In your pack: {about}", key=key, icon=":material/check:", disabled=True)
    else:
        st.button(label or f"Add to pack: {about}", key=key, icon=":material/add:", on_click=add_to_pack,
                  args=(item, key))  # the key: focus stays on this button (ui/focus.py)


@st.cache_resource
def _feedback(folder: str) -> Feedback:
    return Feedback(folder)


def feedback_store() -> Feedback:
    """Readers' verdicts: the same SQLite file as the saved packs (the page's data folder)."""
    return _feedback(str(get_store().folder))


FEEDBACK_SAID = {HELPED: "Recorded that this helped", NOT_THIS: "Recorded as not this"}


def feedback_ui(query: str, passage_id: str, about: str, key: str) -> None:
    """The "This helped" and "Not this" buttons of one card, each naming its passage ("This helped: SK on Q6");
    once the reader has said which, the card says so, and they may change it or take it back."""
    about = html.escape(about)
    verdict = st.session_state.get("feedback_given", {}).get(feedback_key(query, passage_id), (None, None))[1]
    store = feedback_store()
    with st.container(horizontal=True, width="content"):  # the two stay side by side where they fit
        for value, label, icon in ((HELPED, "This helped", ":material/thumb_up:"),
                                   (NOT_THIS, "Not this", ":material/thumb_down:")):
            if verdict == value:
                st.button(f"{FEEDBACK_SAID[value]}: {about}", key=f"{key}-{value}", icon=":material/check:",
                          disabled=True)
            else:
                st.button(f"{'Change to ' + label.lower() if verdict else label}: {about}", key=f"{key}-{value}",
                          icon=icon, on_click=give_feedback, args=(store, query, passage_id, value))
        if verdict:
            st.button(f"Take back: {about}", key=f"{key}-undo", icon=":material/undo:", type="tertiary",
                      on_click=give_feedback, args=(store, query, passage_id, None))


def several(searcher: Searcher) -> bool:
    """A library of several documents: every card and section then names its document."""
    return len(searcher.sources) > 1


def source_of_several(searcher: Searcher, source: str) -> str | None:
    """``source`` when the library has several documents (a view switch then narrows to it), else None."""
    return source if several(searcher) else None


def answer_item(searcher: Searcher, question: QuestionRecord, speaker: str, text: str) -> pack.PackItem:
    """A speaker's whole answer as a pack item; a one-passage answer is that passage (no duplicates)."""
    source = question.source
    passages = searcher.catalog.answer_passages(source, question.number, speaker)
    name = searcher.catalog.speaker_name(source, speaker)
    if len(passages) == 1:
        return pack.PackItem.from_passage(passages[0], searcher.titles.get(source, ""), name)
    return pack.PackItem.whole_answer(question, speaker, text, name)


def whole_question_ui(searcher: Searcher, question: QuestionRecord, marked: list[str], terms, glossary) -> None:
    if wording.short_question(question.question) != " ".join(question.question.split()):
        markup(html.question_html(question.number, question.question, glossary))  # the card cut it
    for answer in question.answers:
        markup(html.answer_block_html(question.source, answer.speaker, html.answer_html(answer.text, marked, terms, glossary),
                                      searcher.catalog.speaker_name(question.source, answer.speaker)))


def closest_questions_ui(searcher: Searcher, query: str, matches, glossary, key: str) -> bool:
    """For low confidence: what the panel did answer, instead of weak passages, and a way to see the
    passages anyway. True when the reader asked to see them."""
    if st.session_state.get("show_anyway") == query:
        st.warning(f"**The panel did not answer “{html.escape(query)}” directly.** The passages below come "
                   "closest, but none of them is a good match.", icon=":material/search_off:")
        return True
    st.warning(f"**The panel did not answer “{html.escape(query)}” directly.** None of their answers is a "
               "good match, so no passages are shown. These are the questions they did answer that "
               "come closest:", icon=":material/search_off:")
    closest_list_ui(searcher, matches, glossary, key)
    st.caption("Try other words, or open **Browse** to read every question and answer.")
    st.button("Show passages anyway", key=f"{key}-anyway", icon=":material/visibility:", on_click=show_anyway,
              args=(query,))
    return False


def closest_list_ui(searcher: Searcher, matches, glossary, key: str) -> None:
    for m in matches:
        with st.container(border=True):
            names = {s: searcher.catalog.speaker_name(m.source, s) for s in m.speakers}
            markup(html.closest_question_html(m, names, glossary, show_title=several(searcher)))
            st.button(f"Read the answers to Q{m.number}", key=f"{key}-closest-{m.source}-{m.number}",
                      icon=":material/menu_book:", on_click=show,
                      args=("browse", m.number, source_of_several(searcher, m.source)))


def caution_ui(query: str) -> None:
    """For medium confidence: passages are shown, under a caution."""
    st.warning(f"These may not answer “{html.escape(query)}” directly: the panel touched on it, but not "
               "head on. The questions it did answer that come closest are listed after the passages.",
               icon=":material/help:")


def agreement_ui(searcher: Searcher, question: QuestionRecord, glossary, expanded: bool = False) -> None:
    """For a question two or more panelists answered: what they both said, and what only one did."""
    if len(question.speakers) < 2:
        return
    agreement = agreement_of(question, searcher.embedder)
    if agreement is None:
        return
    names = {s: searcher.catalog.speaker_name(question.source, s) for s in question.speakers}
    with st.expander(f"Where {html.escape(wording.and_list(names.values()))} make the same point",
                     icon=":material/join_inner:", expanded=expanded):
        markup(html.agreement_html(agreement, names, glossary))
        st.caption("Sentences are quoted as spoken and paired when they make a very similar point; a pair is "
                   "never a claim that they agree in every respect.")
