"""The Topics view: what the panel covered, who spoke on what (a speaker × topic chart), and a card
for each speaker (questions answered, topics, distinctive terms, name and role where given)."""
from __future__ import annotations

import altair as alt
import streamlit as st

from panelsearch import html, views, wording
from panelsearch.search import Searcher
from panelsearch.topics import speaker_terms, speaker_topics, topics_from_passages
from ui.actions import show
from ui.pieces import markup


@st.cache_resource(show_spinner="Finding the topics…", max_entries=2)
def get_topics(_searcher: Searcher, stamp: tuple):
    """The library's topics (topics.py), computed once per index (``stamp``)."""
    topics = topics_from_passages(_searcher.passages, _searcher.vectors)
    answers = [(q.source, q.number, a.speaker, a.text) for q in _searcher.questions for a in q.answers]
    return topics, speaker_terms(answers), speaker_topics(topics, answers)


def topics_view_ui(searcher: Searcher, stamp: tuple, glossary) -> None:
    topics, terms, spoke_on = get_topics(searcher, stamp)
    rows = views.topic_rows(topics, searcher.catalog)
    st.caption(f"The library's answers fall into {wording.plural(len(rows), 'topic')}, found from what the "
               "answers say. Each topic lists its audience questions and who spoke on it.")
    chart = alt.Chart(alt.Data(values=views.coverage_table(topics, searcher.catalog))).mark_rect().encode(
        x=alt.X("speaker:N", title="Speaker"), y=alt.Y("topic:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("passages:Q", title="Passages", scale=alt.Scale(scheme="blues")),
        tooltip=["topic:N", "speaker:N", "passages:Q"])
    st.altair_chart(chart, use_container_width=True)
    for row in rows:
        with st.container(border=True):
            markup(html.topic_html(row, glossary))
            with st.container(horizontal=True):
                for source, number in row.questions:
                    st.button(f"Q{number}", key=f"topic-{row.id}-{source}-{number}", on_click=show,
                              args=("browse", number, source if len(searcher.sources) > 1 else None),
                              help=searcher.catalog.question(source, number).question)
    st.subheader("Who's who")
    for card in views.speaker_cards(searcher.catalog, terms, spoke_on):
        markup(html.speaker_card_html(card))
